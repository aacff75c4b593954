// Bad input to coopt-distill: a located error, exit 1, no output file.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill)' -o %t 2>&1 | FileCheck %s --check-prefix=NODATA
// RUN: not test -e %t
// NODATA: <pipeline>:1:16: error: invalid options for 'coopt-distill': needs data=<IDX directory or .npy file>
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy lr=0})' 2>&1 | FileCheck %s --check-prefix=LR
// LR: error: option 'lr' value 0 is out of range (must be in (0, 1])
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy lr=1.5})' 2>&1 | FileCheck %s --check-prefix=LR-BIG
// LR-BIG: error: option 'lr' value 1.5 is out of range (must be in (0, 1])
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy epochs=0})' 2>&1 | FileCheck %s --check-prefix=EPOCHS
// EPOCHS: error: option 'epochs' value 0 is out of range (must be in [1, 1000])
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy samples=0})' 2>&1 | FileCheck %s --check-prefix=SAMPLES
// SAMPLES: error: option 'samples' value 0 is out of range
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy layers=some})' 2>&1 | FileCheck %s --check-prefix=LAYERS
// LAYERS: error: option 'layers'{{.*}}some
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy normalize=1})' 2>&1 | FileCheck %s --check-prefix=NORM
// NORM: error: invalid options for 'coopt-distill': normalize expects two values, mean,std with std > 0

// Data that does not fit.
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-distill{data=%S/Inputs/calib3.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not test -e %t
// SHAPE: recover-model.mlir:2:1: error: coopt-distill: calibration data '{{.*}}calib3.npy' has 4 values per sample but the model input has 144
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-distill{data=%S/Inputs/recover-nan.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=NAN
// RUN: not test -e %t
// NAN: recover-model.mlir:2:1: error: coopt-distill: calibration data '{{.*}}recover-nan.npy' has a non-finite value (nan) in item 3
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-distill{data=%S/Inputs/recover-few.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=FEW
// RUN: not test -e %t
// FEW: recover-model.mlir:2:1: error: coopt-distill: too few samples: 4 (at least 16: an eighth is held out)
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/no-such-file.npy})' 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: coopt-distill: {{.*}}no-such-file.npy
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy batch=3})' 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: recover-model.mlir:2:1: error: coopt-distill: batch=3, but the model's input has a static batch of 8
// RUN: not coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy entry=nope})' 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: coopt-distill: the module has no func.func @nope to run

// A NaN weight or bias is an error at its constant, never a NaN model.
// RUN: sed 's/%b1 = "tosa.const"() <{values = dense<"0x[0-9A-F]*">/%b1 = "tosa.const"() <{values = dense<0x7FC00000>/' %S/Inputs/recover-model.mlir > %t.nanbias.mlir
// RUN: not coopt-opt %t.nanbias.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=NANW
// RUN: not test -e %t
// NANW: nanbias.mlir:5:9: error: coopt-distill: a weight or bias has a non-finite value
