// A deliberate violation of each kind of claim is caught, located and named.
// RUN: coopt-opt %s --verify-diagnostics --split-input-file -p 'builtin.module(coopt-verify-structure)' -o /dev/null
// RUN: not coopt-opt %s --split-input-file -p 'builtin.module(coopt-verify-structure)' -o %t 2>&1 | FileCheck %s
// RUN: not test -e %t
// The verifier takes no options.
// RUN: not coopt-opt %s -p 'builtin.module(coopt-verify-structure{strict=true})' 2>&1 | FileCheck %s --check-prefix=OPT
// OPT: error: pass 'coopt-verify-structure' takes no options (got 'strict')
// CHECK: coopt-verify-structure-invalid.mlir:[[@LINE+7]]:8: error: coopt.structure violated for tosa.conv2d weight 1x1x1x4: pattern 2:4 broken in output channel 0, group 0 (3 nonzeros)

func.func @nm_broken(%x: tensor<1x1x1x4xf32>) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 2.0, 3.0, 0.0]]]]> : tensor<1x1x1x4xf32>}> {coopt.structure = {pattern = "2:4", sparsity = 2.500000e-01 : f64}} : () -> tensor<1x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{pattern 2:4 broken in output channel 0, group 0 (3 nonzeros)}}
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

// -----

func.func @blocks_broken(%a: tensor<1x1x4xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[0.0, 1.0], [5.0, 0.0], [2.0, 0.0], [3.0, 0.0]]]> : tensor<1x4x2xf32>}> {coopt.structure = {block_sparsity = 5.000000e-01 : f64, pattern = "1x2", sparsity = 5.000000e-01 : f64}} : () -> tensor<1x4x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{pattern 1x2: 0.5 of the blocks recorded as zero, but only 0.25 are}}
  %m = tosa.matmul %a, %w, %z, %z : (tensor<1x1x4xf32>, tensor<1x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}

// -----

func.func @channel_clusters_broken(%a: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[1.0, 2.0], [1.0, 3.0]]]> : tensor<1x2x2xf32>}> {coopt.structure = {clusters = 1 : i64, per_channel = true}} : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{1 clusters per channel recorded, but output channel 1 has 2 distinct values}}
  %m = tosa.matmul %a, %w, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}
