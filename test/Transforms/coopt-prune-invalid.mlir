// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{sparsity=1.0})' 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: option 'sparsity' value 1.0 is out of range (must be in [0, 1))
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{pattern=4:2})' 2>&1 | FileCheck %s --check-prefix=NM
// NM: error: invalid options for 'coopt-prune': pattern '4:2': N:M needs 1 <= N < M <= 64
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{pattern=diagonal})' 2>&1 | FileCheck %s --check-prefix=PAT
// PAT: error: invalid options for 'coopt-prune': pattern 'diagonal' is not 'unstructured', 'N:M' (e.g. 2:4) or 'RxC' (e.g. 1x4)
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{ops=lstm})' 2>&1 | FileCheck %s --check-prefix=OPS
// OPS: error: option 'ops' has no value 'lstm'
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{scope=all})' 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: error: option 'scope' has no value 'all' (expected one of layer|global)
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{min-elements=-1})' 2>&1 | FileCheck %s --check-prefix=MIN
// MIN: error: option 'min-elements' value -1 is out of range
// Non-finite weights are errors naming the tensor; non-constant weights a remark.
// RUN: coopt-opt %s --verify-diagnostics -p 'builtin.module(coopt-prune)' -o /dev/null
// No output on failure.
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune)' -o %t 2>/dev/null
// RUN: not test -e %t
func.func @f(%x: tensor<1x1x1x2xf32>, %a: tensor<1x1x2xf32>, %wb: tensor<1x2x2xf32>) -> (tensor<1x1x1x1xf32>, tensor<1x1x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0x7FC00000]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt-prune: tosa.conv2d weight 1x1x1x2 has a non-finite value (nan) at index 1}}
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  // expected-remark@+1 {{weight of 'tosa.matmul' is not a constant (a block argument); skipped}}
  %m = tosa.matmul %a, %wb, %b, %b : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %y, %m : tensor<1x1x1x1xf32>, tensor<1x1x2xf32>
}
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{method=obs})' 2>&1 | FileCheck %s --check-prefix=ODATA
// ODATA: error: invalid options for 'coopt-prune': method=obs needs data=<IDX directory or .npy file>
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{method=obs data=x.npy damp=3})' 2>&1 | FileCheck %s --check-prefix=ODAMP
// ODAMP: error: option 'damp' value 3 is out of range (must be in [0, 1])
// RUN: not coopt-opt %s -p 'builtin.module(coopt-prune{method=sgd})' 2>&1 | FileCheck %s --check-prefix=OMETHOD
// OMETHOD: error: option 'method' has no value 'sgd' (expected one of magnitude|obs)
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{method=obs data=%S/Inputs/recover-nan.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=ONAN
// RUN: not test -e %t
// ONAN: recover-model.mlir:2:1: error: coopt-prune: calibration data '{{.*}}recover-nan.npy' has a non-finite value (nan) in item 3
