// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=1})' 2>&1 | FileCheck %s --check-prefix=K
// K: <pipeline>:1:39: error: option 'clusters' value 1 is out of range (must be in [2, 256])
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{clusters=257})' 2>&1 | FileCheck %s --check-prefix=K2
// K2: error: option 'clusters' value 257 is out of range
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{init=kmeans})' 2>&1 | FileCheck %s --check-prefix=INIT
// INIT: error: option 'init' has no value 'kmeans' (expected one of kmeans++|linear|random|density)
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{tolerance=1})' 2>&1 | FileCheck %s --check-prefix=TOL
// TOL: error: option 'tolerance' value 1 is out of range (must be in [0, 1))
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{max-iterations=0})' 2>&1 | FileCheck %s --check-prefix=ITER
// ITER: error: option 'max-iterations' value 0 is out of range
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{seed=-3})' 2>&1 | FileCheck %s --check-prefix=SEED
// SEED: error: option 'seed' value -3 is out of range
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{per-channel=yes})' 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: error: option 'per-channel' expects true or false, got 'yes'
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{ops=conv1d})' 2>&1 | FileCheck %s --check-prefix=OPS
// OPS: error: option 'ops' has no value 'conv1d'
// Non-finite weights: an error naming the tensor; non-constant weights: a remark.
// RUN: coopt-opt %s --verify-diagnostics -p 'builtin.module(coopt-cluster)' -o /dev/null
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster)' -o %t 2>/dev/null
// RUN: not test -e %t
func.func @f(%x: tensor<1x1x1x2xf32>, %a: tensor<1x1x2xf32>, %wb: tensor<1x2x2xf32>) -> (tensor<1x1x1x1xf32>, tensor<1x1x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0x7F800000]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt-cluster: tosa.conv2d weight 1x1x1x2 has a non-finite value (inf) at index 1}}
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  // expected-remark@+1 {{weight of 'tosa.matmul' is not a constant (a block argument); skipped}}
  %m = tosa.matmul %a, %wb, %b, %b : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %y, %m : tensor<1x1x1x1xf32>, tensor<1x1x2xf32>
}
// RUN: not coopt-opt %s -p 'builtin.module(coopt-cluster{method=hessian})' 2>&1 | FileCheck %s --check-prefix=HDATA
// HDATA: error: invalid options for 'coopt-cluster': method=hessian needs data=<IDX directory or .npy file>
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{method=hessian data=%S/Inputs/calib3.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=HSHAPE
// HSHAPE: error: coopt-cluster: calibration data '{{.*}}calib3.npy' has 4 values per sample but the model input has 144
