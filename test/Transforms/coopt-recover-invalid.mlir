// Bad input to coopt-recover: a located error, exit 1, no output file.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-recover)' -o %t 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not test -e %t
// NODATA: <pipeline>:1:16: error: invalid options for 'coopt-recover': needs data=<IDX directory or .npy file>
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-recover{data=%S/Inputs/recover-calib.npy damp=2})' 2>&1 | FileCheck %s --check-prefix=DAMP
// DAMP: error: option 'damp' value 2 is out of range (must be in [0, 1])
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-recover{data=%S/Inputs/recover-calib.npy damp=-0.5})' 2>&1 | FileCheck %s --check-prefix=DAMP-NEG
// DAMP-NEG: error: option 'damp' value -0.5 is out of range (must be in [0, 1])
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-recover{data=%S/Inputs/recover-calib.npy normalize=1})' 2>&1 | FileCheck %s --check-prefix=NORM
// NORM: error: invalid options for 'coopt-recover': normalize expects two values, mean,std with std > 0
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-recover{data=%S/Inputs/recover-calib.npy samples=0})' 2>&1 | FileCheck %s --check-prefix=SAMPLES
// SAMPLES: error: option 'samples' value 0 is out of range

// Data that does not fit.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/calib3.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not test -e %t
// SHAPE: recover-model.mlir:2:1: error: coopt-recover: calibration data '{{.*}}calib3.npy' has 4 values per sample but the model input has 144
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-nan.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not test -e %t
// NAN: recover-model.mlir:2:1: error: coopt-recover: calibration data '{{.*}}recover-nan.npy' has a non-finite value (nan) in item 3
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-few.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=FEW
// RUN: not test -e %t
// FEW: error: 'fc': coopt-recover: too few samples: 4 samples give tosa.matmul weight 1x8x3 of 'fc' 4 input rows for up to 7 unknowns per output channel (give samples >= 7)
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/no-such-file.npy})' 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: coopt-recover: {{.*}}no-such-file.npy
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/calib-int.npy})' 2>&1 | FileCheck %s --check-prefix=TYPE
// TYPE: error: coopt-recover: calibration data '{{.*}}calib-int.npy' has 4 values per sample
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy batch=3})' 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: recover-model.mlir:2:1: error: coopt-recover: batch=3, but the model's input has a static batch of 8
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy entry=nope})' 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: coopt-recover: the module has no func.func @nope to run

// A compressed weight whose float values were not kept cannot be recovered.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 keep-reference=false},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=NOREF
// RUN: not test -e %t
// NOREF: error: 'stem': coopt-recover: tosa.conv2d weight 8x3x3x4 of 'stem' was compressed but has no coopt.reference (its float values) to recover toward; run coopt-prune / coopt-cluster with keep-reference=true in the same pipeline

// Not errors: inputs all zero on the data leave the layer as it is; a model
// with nothing compressed has nothing to recover.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-zero.npy})' -o %t.zero 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: 'stem': coopt-recover: tosa.conv2d weight 8x3x3x4 of 'stem': its inputs are all zero on the calibration data; left as it is
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-recover{data=%S/Inputs/recover-calib.npy})' -o %t.none 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: remark: coopt-recover: no layer to recover

// A NaN bias makes the float outputs non-finite.
// RUN: sed 's/%b1 = "tosa.const"() <{values = dense<"0x[0-9A-F]*">/%b1 = "tosa.const"() <{values = dense<0x7FC00000>/' %S/Inputs/recover-model.mlir > %t.nanbias.mlir
// RUN: not coopt-opt %t.nanbias.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: error: 'stem': coopt-recover: tosa.conv2d weight 8x3x3x4 of 'stem': its inputs or its float outputs are not finite on the calibration data
