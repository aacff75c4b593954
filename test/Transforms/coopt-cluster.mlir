// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=2 init=linear},coopt-stats{format=json})' -o %t | FileCheck %s --check-prefix=TENSOR
// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=2 per-channel=true init=density},coopt-stats{format=json})' -o %t | FileCheck %s --check-prefix=CHANNEL
// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=3 preserve-sparsity=true},coopt-stats{format=json})' -o %t | FileCheck %s --check-prefix=SPARSE
// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=16})' | FileCheck %s --check-prefix=FEW
// Same seed, same bytes; every init method.
// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=2 init=random seed=7})' -o %t.1
// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=2 init=random seed=7})' -o %t.2
// RUN: cmp %t.1 %t.2
// RUN: coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=2 init=kmeans++ max-iterations=1 tolerance=0.5},coopt-verify-structure)' -o /dev/null
// RUN: coopt-opt %s -p "builtin.module(coopt-cluster{clusters=2 init=density max-iterations=1000 tolerance=0},coopt-stats{format=json})" -o /dev/null | FileCheck %s --check-prefix=TENSOR

// TENSOR: "distinct": 2,
// TENSOR: "structure": "{clusters = 2 : i64, per_channel = false}"
// CHANNEL: "distinct": 4,
// CHANNEL: "max_channel_distinct": 2,
// CHANNEL: "structure": "{clusters = 2 : i64, per_channel = true}"
// Zeros stay; the two nonzero clusters are fit on nonzeros only.
// SPARSE: "zeros": 2,
// SPARSE: "distinct": 3,
// Fewer distinct values than clusters: values unchanged.
// FEW-LABEL: func.func @f(
// FEW: dense<{{\[\[\[\[}}0.000000e+00, 1.000000e+00, 1.100000e+00, 0.000000e+00]]], {{\[\[\[}}1.000000e+01, 1.050000e+01, -5.000000e+00, -5.500000e+00]]]]>
// FEW-SAME: coopt.structure = {clusters = 16 : i64, per_channel = false}
func.func @f(%x: tensor<1x2x2x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 1.0, 1.1, 0.0]]], [[[10.0, 10.5, -5.0, -5.5]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// Depthwise only when asked; min-elements and filter select tensors.
// RUN: coopt-opt %S/Inputs/dw.mlir -p 'builtin.module(coopt-cluster{clusters=2})' | FileCheck %s --check-prefix=NODW
// RUN: coopt-opt %S/Inputs/dw.mlir -p 'builtin.module(coopt-cluster{clusters=2 ops=depthwise_conv2d})' | FileCheck %s --check-prefix=DW
// RUN: coopt-opt %S/Inputs/dw.mlir -p 'builtin.module(coopt-cluster{clusters=2 ops=depthwise_conv2d min-elements=9})' | FileCheck %s --check-prefix=NODW
// RUN: coopt-opt %S/Inputs/dw.mlir -p 'builtin.module(coopt-cluster{clusters=2 ops=depthwise_conv2d filter=elsewhere})' | FileCheck %s --check-prefix=NODW
// RUN: coopt-opt %S/Inputs/dw.mlir -p 'builtin.module(coopt-cluster{clusters=2 ops=depthwise_conv2d filter=dwlayer})' | FileCheck %s --check-prefix=DW
// NODW-LABEL: func.func @f(
// NODW-NOT: coopt.structure
// DW-LABEL: func.func @f(
// DW: coopt.structure = {clusters = 2 : i64, per_channel = false}

// method=hessian: k-means weighted by each weight's input energy on data
// (the diagonal of the layer's input gram): other centroids than plain
// k-means, the same codebook sizes.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{clusters=4 per-channel=true keep-reference=false})' -o %t.km
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{clusters=4 per-channel=true method=hessian data=%S/Inputs/recover-calib.npy keep-reference=false},coopt-verify-structure)' -o %t.hs
// RUN: not cmp -s %t.km %t.hs
// RUN: coopt-opt %t.hs -p 'builtin.module(coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=HESSIAN
// HESSIAN: "max_channel_distinct": 4,
// HESSIAN: "structure": "{clusters = 4 : i64, per_channel = true}"
