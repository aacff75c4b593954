// Each combination keeps the earlier guarantees; the verifier passes.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-cluster{clusters=4 preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=PC
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{pattern=2:4},coopt-cluster{clusters=4 per-channel=true},coopt-verify-structure)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=AUTO
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-cluster{clusters=3},coopt-prune{sparsity=0.5},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=CP
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{sparsity=0.5 clusters=3 per-channel=true},coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=SPC
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{pattern=1x4 sparsity=0.5})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DUMP
// A deliberate violation is caught, located, named.
// RUN: coopt-opt %s --verify-diagnostics --split-input-file -p 'builtin.module(coopt-verify-structure)'

// PC: "zero_fraction": 0.5,
// PC: "distinct": 4,
// PC: "structure": "{clusters = 4 : i64, pattern = \"unstructured\", per_channel = false, sparsity = 5.000000e-01 : f64}"
// AUTO: remark: {{.*}}carries a sparsity claim; clustering it with preserve-sparsity
// Pruning after clustering to 3 keeps <= 3 distinct values (0 included).
// CP: "zero_fraction": 0.5,
// CP: "distinct": 3,
// SPC: "zero_fraction": 0.5,
// SPC: "max_channel_distinct": 3,
// SPC: "structure": "{clusters = 3 : i64, pattern = \"unstructured\", per_channel = true
// DUMP: builtin.module(coopt-prune{sparsity=0.5 pattern=1x4 scope=layer {{.*}}},coopt-cluster{clusters=16 init=kmeans++ seed=0 {{.*}} preserve-sparsity=true {{.*}}},coopt-verify-structure{})

func.func @nm_broken(%x: tensor<1x1x1x4xf32>) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0, 0.0]]]]> : tensor<1x1x1x4xf32>}> {coopt.structure = {pattern = "2:4", sparsity = 2.500000e-01 : f64}} : () -> tensor<1x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt.structure violated for tosa.conv2d weight 1x1x1x4 at}}
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

func.func @clusters_broken(%a: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[1.0, 2.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>}> {coopt.structure = {clusters = 3 : i64, per_channel = false}} : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{3 clusters recorded, but the tensor has 4 distinct values}}
  %m = tosa.matmul %a, %w, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}

// -----

func.func @sparsity_broken(%a: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[1.0, 0.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>}> {coopt.structure = {sparsity = 5.000000e-01 : f64}} : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{sparsity 0.5 recorded, but only 0.25 of the weights are zero}}
  %m = tosa.matmul %a, %w, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}
