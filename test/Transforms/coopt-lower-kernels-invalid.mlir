// A structure claim the weights contradict stops the compilation (no kernel
// is chosen from a broken promise); an int8 convolution with dynamic shapes
// is a clear error, not a silent fallback.  Nothing is written.
// RUN: coopt-opt %s --verify-diagnostics --split-input-file -p 'builtin.module(coopt-lower-kernels)' -o /dev/null
// RUN: not coopt-opt %s --split-input-file -p 'builtin.module(coopt-lower-kernels)' -o %t 2>&1 | FileCheck %s
// RUN: not test -e %t
// CHECK: coopt-lower-kernels-invalid.mlir:[[@LINE+13]]:8: error: coopt-lower-kernels: coopt.structure violated for tosa.conv2d weight 4x1x1x2: sparsity 0.5 recorded, but only 0.125 of the weights are zero; no kernel is chosen from a broken claim
// CHECK: coopt-lower-kernels-invalid.mlir:[[@LINE+29]]:8: error: coopt-lower-kernels: tosa.conv2d has a dynamic input shape (tensor<?x4x4x2xi8>)

func.func @false_sparsity_claim(%x: tensor<1x4x4x2xi8>) -> tensor<1x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[127, -64]]], [[[0, 127]]], [[[-127, 21]]], [[[127, 5]]]]> : tensor<4x1x1x2xi8>}> {coopt.structure = {sparsity = 5.000000e-01 : f64}} : () -> tensor<4x1x1x2xi8>
  %zx = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zw = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %b = "tosa.const"() <{values = dense<[3239, -3239, 0, 2699]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %m = "tosa.const"() <{values = dense<1442928645> : tensor<4xi32>}> : () -> tensor<4xi32>
  %s = "tosa.const"() <{values = dense<38> : tensor<4xi8>}> : () -> tensor<4xi8>
  %iz = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %oz = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  // expected-error@+1 {{sparsity 0.5 recorded, but only 0.125 of the weights are zero; no kernel is chosen from a broken claim}}
  %c = tosa.conv2d %x, %w, %b, %zx, %zw {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xi8>, tensor<4x1x1x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x4x4xi32>
  %y = tosa.rescale %c, %m, %s, %iz, %oz {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x4x4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x4x4xi8>
  return %y : tensor<1x4x4x4xi8>
}

// -----

func.func @dynamic_batch(%x: tensor<?x4x4x2xi8>) -> tensor<?x4x4x4xi8> {
  %w = "tosa.const"() <{values = dense<[[[[127, -64]]], [[[0, 127]]], [[[-127, 21]]], [[[127, 5]]]]> : tensor<4x1x1x2xi8>}> : () -> tensor<4x1x1x2xi8>
  %zx = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zw = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %b = "tosa.const"() <{values = dense<[3239, -3239, 0, 2699]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %m = "tosa.const"() <{values = dense<1442928645> : tensor<4xi32>}> : () -> tensor<4xi32>
  %s = "tosa.const"() <{values = dense<38> : tensor<4xi8>}> : () -> tensor<4xi8>
  %iz = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %oz = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}> : () -> tensor<1xi8>
  // expected-error@+1 {{coopt-lower-kernels: tosa.conv2d has a dynamic input shape (tensor<?x4x4x2xi8>): kernels need static shapes; give the importer --batch}}
  %c = tosa.conv2d %x, %w, %b, %zx, %zw {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<?x4x4x2xi8>, tensor<4x1x1x2xi8>, tensor<4xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<?x4x4x4xi32>
  %y = tosa.rescale %c, %m, %s, %iz, %oz {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<?x4x4x4xi32>, tensor<4xi32>, tensor<4xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<?x4x4x4xi8>
  return %y : tensor<?x4x4x4xi8>
}
