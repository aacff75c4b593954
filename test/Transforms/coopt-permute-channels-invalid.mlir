// Bad input to coopt-permute-channels: a located error, exit 1, no output file.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{pattern=unstructured})' -o %t 2>&1 | FileCheck %s --check-prefix=UNSTRUCTURED
// RUN: not test -e %t
// UNSTRUCTURED: <pipeline>:1:{{[0-9]+}}: error: invalid options for 'coopt-permute-channels': pattern=unstructured groups no channels: give N:M or RxC
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{pattern=3x})' 2>&1 | FileCheck %s --check-prefix=PATTERN
// PATTERN: error: invalid options for 'coopt-permute-channels': {{.*}}3x
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{passes=0})' 2>&1 | FileCheck %s --check-prefix=PASSES
// PASSES: error: option 'passes' value 0 is out of range
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{sparsity=1})' 2>&1 | FileCheck %s --check-prefix=SPARSITY
// SPARSITY: error: option 'sparsity' value 1 is out of range
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{ops=relu})' 2>&1 | FileCheck %s --check-prefix=OPS
// OPS: error: {{.*}}relu
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{entry=nope})' -o %t 2>&1 | FileCheck %s --check-prefix=ENTRY
// RUN: not test -e %t
// ENTRY: recover-model.mlir:{{[0-9]+}}:{{[0-9]+}}: error: coopt-permute-channels: the module has no func.func @nope
// Data that does not fit the model.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/calib3.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not test -e %t
// SHAPE: recover-model.mlir:2:1: error: coopt-permute-channels: calibration data '{{.*}}calib3.npy' has 4 values per sample but the model input has 144
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/recover-nan.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not test -e %t
// NAN: recover-model.mlir:2:1: error: coopt-permute-channels: calibration data '{{.*}}recover-nan.npy' has a non-finite value (nan) in item 3
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/no-such-file.npy})' 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}no-such-file.npy
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/recover-calib.npy normalize=1})' 2>&1 | FileCheck %s --check-prefix=NORM
// NORM: error: invalid options for 'coopt-permute-channels': normalize expects two values
