// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 keep-reference=false})' | FileCheck %s --check-prefix=LAYER
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{pattern=2:4 keep-reference=false})' | FileCheck %s --check-prefix=NM
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{pattern=2x2 sparsity=0.5 keep-reference=false})' | FileCheck %s --check-prefix=BLOCK
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 scope=global keep-reference=false})' | FileCheck %s --check-prefix=GLOBAL
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 ops=matmul keep-reference=false})' | FileCheck %s --check-prefix=OPS
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 min-elements=5 keep-reference=false})' | FileCheck %s --check-prefix=MIN
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 filter=second keep-reference=false})' | FileCheck %s --check-prefix=FILTER
// Determinism: byte-identical output.
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 scope=global})' -o %t.a
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-prune{sparsity=0.5 scope=global})' -o %t.b
// RUN: cmp %t.a %t.b
// By default the values before pruning stay on the constant as coopt.reference
// (what coopt-recover reproduces); only rewritten constants get one.
// RUN: FileCheck %s --check-prefix=REF < %t.a
// REF: dense<{{\[\[\[\[}}8.000000e+00, 0.000000e+00, 0.000000e+00, -7.000000e+00]]], {{.*}} {coopt.reference = dense<{{\[\[\[\[}}8.000000e+00, -1.000000e+00, 2.000000e+00, -7.000000e+00]]], {{\[\[\[}}5.000000e-01, 3.000000e+00, -4.000000e+00, 6.000000e+00]]]]> : tensor<2x1x1x4xf32>, coopt.structure
// REF-NEXT: "tosa.const"() <{values = dense<0.000000e+00> : tensor<2xf32>}> : () -> tensor<2xf32>

// Rows are output channels: [8,-1,2,-7] and [0.5,3,-4,6]; ties broken by position.
// LAYER-LABEL: func.func @f(
// LAYER: dense<{{\[\[\[\[}}8.000000e+00, 0.000000e+00, 0.000000e+00, -7.000000e+00]]], {{\[\[\[}}0.000000e+00, 0.000000e+00, -4.000000e+00, 6.000000e+00]]]]> : tensor<2x1x1x4xf32>}> {coopt.structure = {pattern = "unstructured", sparsity = 5.000000e-01 : f64}}
// 2:4 keeps the two largest |w| of each group of 4 along the reduction axis.
// NM-LABEL: func.func @f(
// NM: {{\[\[\[\[}}8.000000e+00, 0.000000e+00, 0.000000e+00, -7.000000e+00]]], {{\[\[\[}}0.000000e+00, 0.000000e+00, -4.000000e+00, 6.000000e+00]]]]> : tensor<2x1x1x4xf32>}> {coopt.structure = {pattern = "2:4", sparsity = 5.000000e-01 : f64}}
// 2x2 blocks: block (rows 0-1, cols 0-1) mean 3.125 < block (cols 2-3) mean 4.75.
// BLOCK-LABEL: func.func @f(
// BLOCK: {{\[\[\[\[}}0.000000e+00, 0.000000e+00, 2.000000e+00, -7.000000e+00]]], {{\[\[\[}}0.000000e+00, 0.000000e+00, -4.000000e+00, 6.000000e+00]]]]>
// BLOCK-SAME: coopt.structure = {block_sparsity = 5.000000e-01 : f64, pattern = "2x2", sparsity = 5.000000e-01 : f64}
// One threshold over both tensors: the matmul's small weights go first.
// GLOBAL-LABEL: func.func @f(
// GLOBAL: {{\[\[\[\[}}8.000000e+00, 0.000000e+00, 0.000000e+00, -7.000000e+00]]], {{\[\[\[}}0.000000e+00, 3.000000e+00, -4.000000e+00, 6.000000e+00]]]]>
// GLOBAL: dense<{{\[\[\[}}0.000000e+00, 0.000000e+00], [0.000000e+00, 2.000000e+00]]]> {{.*}}sparsity = 7.500000e-01
// OPS-LABEL: func.func @f(
// OPS: dense<{{\[\[\[\[}}8.000000e+00, -1.000000e+00, 2.000000e+00, -7.000000e+00]]]
// OPS: dense<{{\[\[\[}}0.000000e+00, 0.000000e+00], [1.000000e+00, 2.000000e+00]]]> {{.*}}coopt.structure
// MIN-LABEL: func.func @f(
// MIN: dense<{{\[\[\[\[}}8.000000e+00, 0.000000e+00
// MIN: dense<{{\[\[\[}}1.000000e-01, 2.000000e-01], [1.000000e+00, 2.000000e+00]]]> : tensor<1x2x2xf32>}> : ()
// FILTER-LABEL: func.func @f(
// FILTER: dense<{{\[\[\[\[}}8.000000e+00, -1.000000e+00
// FILTER: dense<{{\[\[\[}}0.000000e+00, 0.000000e+00], [1.000000e+00, 2.000000e+00]]]> {{.*}}coopt.structure
func.func @f(%x: tensor<1x2x2x4xf32>, %a: tensor<1x1x2xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x1x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[[[8.0, -1.0, 2.0, -7.0]]], [[[0.5, 3.0, -4.0, 6.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("first")
  %fw = "tosa.const"() <{values = dense<[[[0.1, 0.2], [1.0, 2.0]]]> : tensor<1x2x2xf32>}> : () -> tensor<1x2x2xf32>
  %m = tosa.matmul %a, %fw, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32> loc("second")
  return %y, %m : tensor<1x2x2x2xf32>, tensor<1x1x2xf32>
}
