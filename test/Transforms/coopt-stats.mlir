// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-stats{format=json})' -o %t.mlir | FileCheck %s
// The pass is an analysis: the IR is unchanged.
// RUN: coopt-opt %s --split-input-file -o %t.ref.mlir
// RUN: diff %t.ref.mlir %t.mlir

// CHECK-LABEL: "weights": [
// CHECK:       "op": "tosa.conv2d",
// CHECK-NEXT:  "loc": "{{.*}}coopt-stats.mlir:[[@LINE+37]]:8",
// CHECK-NEXT:  "shape": [3, 1, 1, 2],
// CHECK-NEXT:  "dtype": "f32",
// CHECK-NEXT:  "users": 1,
// CHECK-NEXT:  "channels": 3,
// CHECK-NEXT:  "elements": 6,
// CHECK-NEXT:  "zeros": 3,
// CHECK-NEXT:  "zero_fraction": 0.5,
// CHECK-NEXT:  "nonfinite": 0,
// CHECK-NEXT:  "distinct": 3,
// CHECK-NEXT:  "max_channel_distinct": 2,
// CHECK-NEXT:  "bytes": {
// CHECK-NEXT:    "f32": 24,
// CHECK-NEXT:    "int8": 6,
// CHECK-NEXT:    "sparse": 4,
// CHECK-NEXT:    "palettized": 5,
// Bitmask (1 byte) + a 1-bit index per nonzero (1 byte) + codebook {1, 2}.
// CHECK-NEXT:    "sparse_palettized": 4,
// Codes [0,127, 127,0, 0,127] deflated: tiny inputs grow (zlib framing).
// CHECK-NEXT:    "gzip": 14
// CHECK-NEXT:  },
// CHECK-NEXT:  "palette": "tensor",
// CHECK-NEXT:  "palette_bits": 2,
// A pointwise conv: the int8 kernel coopt-lower-kernels would give its
// codes (coopt-stats-kernels.test checks the two agree): the masked form,
// smaller than a dense panel and within balanced's slack of its time on
// this tiny layer (coopt-lower-kernels.mlir has the same case).
// CHECK-NEXT:  "int8_kernel": "masked sparse int8",
// CHECK-NEXT:  "int8_kernel_bytes": 224
// CHECK:       "totals": {
// CHECK-NEXT:    "tensors": 1,
// CHECK-NEXT:    "elements": 6,
// CHECK-NEXT:    "zeros": 3,
func.func @conv(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x3xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 1.0]]], [[[2.0, 0.0]]], [[[0.0, 2.0]]]]> : tensor<3x1x1x2xf32>}> : () -> tensor<3x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32>
  return %y : tensor<1x4x4x3xf32>
}

// -----

// Depthwise [KH,KW,C,M]: a channel is C*M; channel 0 = {1,0,1,0}, channel 1 = {2,3,4,5}.
// CHECK-LABEL: "weights": [
// CHECK:       "op": "tosa.depthwise_conv2d",
// CHECK:       "shape": [2, 2, 2, 1],
// CHECK:       "channels": 2,
// CHECK:       "zeros": 2,
// CHECK:       "distinct": 6,
// CHECK:       "max_channel_distinct": 4,
func.func @depthwise(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0], [2.0]], [[0.0], [3.0]]], [[[1.0], [4.0]], [[0.0], [5.0]]]]> : tensor<2x2x2x1xf32>}> : () -> tensor<2x2x2x1xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.depthwise_conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32>
  return %y : tensor<1x4x4x2xf32>
}

// -----

// CHECK-LABEL: "weights": [
// CHECK:       "op": "tosa.transpose_conv2d",
// CHECK:       "shape": [2, 2, 2, 1],
// CHECK:       "channels": 2,
// CHECK:       "elements": 8,
// CHECK:       "zeros": 0,
// CHECK:       "distinct": 1,
// CHECK:       "palette_bits": 1
func.func @transpose_conv(%x: tensor<1x2x2x1xf32>) -> tensor<1x3x3x2xf32> {
  %w = "tosa.const"() <{values = dense<0.25> : tensor<2x2x2x1xf32>}> : () -> tensor<2x2x2x1xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.transpose_conv2d %x, %w, %b, %z, %z {acc_type = f32, out_pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x1xf32>, tensor<2x2x2x1xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x3x3x2xf32>
  return %y : tensor<1x3x3x2xf32>
}

// -----

// matmul B [N,C,W]: a channel is a column; through reshape + transpose of a
// [W,C] constant (an imported Gemm with transB), shared by two matmuls.
// CHECK-LABEL: "weights": [
// CHECK:       "op": "tosa.matmul",
// CHECK:       "shape": [3, 2],
// CHECK:       "users": 2,
// CHECK:       "channels": 3,
// CHECK:       "zeros": 2,
// CHECK:       "max_channel_distinct": 2,
// CHECK:     "totals": {
// CHECK-NEXT:  "tensors": 1,
func.func @matmul(%a: tensor<1x1x2xf32>) -> tensor<1x1x3xf32> {
  %w = "tosa.const"() <{values = dense<[[1.0, 0.0], [3.0, 4.0], [0.0, 6.0]]> : tensor<3x2xf32>}> : () -> tensor<3x2xf32>
  %s = tosa.const_shape {values = dense<[1, 3, 2]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %r = tosa.reshape %w, %s : (tensor<3x2xf32>, !tosa.shape<3>) -> tensor<1x3x2xf32>
  %t = tosa.transpose %r {perms = array<i32: 0, 2, 1>} : (tensor<1x3x2xf32>) -> tensor<1x2x3xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.matmul %a, %t, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %c2 = tosa.matmul %a, %t, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32>
  %sum = tosa.add %c, %c2 : (tensor<1x1x3xf32>, tensor<1x1x3xf32>) -> tensor<1x1x3xf32>
  return %sum : tensor<1x1x3xf32>
}

// -----

// Weights that are not constants are not reported; int8 weights are.
// CHECK-LABEL: "weights": [
// CHECK-NOT:   "dtype": "f32"
// CHECK:       "dtype": "i8",
// CHECK:       "zeros": 1,
// CHECK:     "totals": {
// CHECK-NEXT:  "tensors": 1,
func.func @mixed(%x: tensor<1x1x1x2xi8>, %wx: tensor<1x2x2xf32>, %a: tensor<1x1x2xf32>) -> (tensor<1x1x1x2xi32>, tensor<1x1x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[[[-128, 127]]], [[[0, -3]]]]> : tensor<2x1x1x2xi8>}> : () -> tensor<2x1x1x2xi8>
  %b = "tosa.const"() <{values = dense<0> : tensor<2xi32>}> : () -> tensor<2xi32>
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xi8>, tensor<2x1x1x2xi8>, tensor<2xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1x2xi32>
  %fz = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %a, %wx, %fz, %fz : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %y, %m : tensor<1x1x1x2xi32>, tensor<1x1x2xf32>
}
