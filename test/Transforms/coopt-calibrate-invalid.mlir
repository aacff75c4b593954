// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate)' 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: <pipeline>:1:16: error: invalid options for 'coopt-calibrate': needs data=<IDX directory or .npy file>
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy method=kl})' 2>&1 | FileCheck %s --check-prefix=METHOD
// METHOD: error: option 'method' has no value 'kl' (expected one of minmax|percentile|mse)
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy percentile=40})' 2>&1 | FileCheck %s --check-prefix=PCT
// PCT: error: option 'percentile' value 40 is out of range (must be in (50, 100])
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy samples=0})' 2>&1 | FileCheck %s --check-prefix=SAMPLES
// SAMPLES: error: option 'samples' value 0 is out of range
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy normalize=1})' 2>&1 | FileCheck %s --check-prefix=NORM
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy normalize=0,0})' 2>&1 | FileCheck %s --check-prefix=NORM
// NORM: error: invalid options for 'coopt-calibrate': normalize expects two values, mean,std with std > 0

// Data that does not fit: a located error, exit 1, no output file.
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib-wrong-shape.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=SHAPE
// RUN: not test -e %t
// SHAPE: calib-model.mlir:4:1: error: coopt-calibrate: calibration data '{{.*}}calib-wrong-shape.npy' has 3 values per sample but the model input has 4
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib-empty.npy})' 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: error: coopt-calibrate: calibration data '{{.*}}calib-empty.npy' is empty
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib-int.npy})' 2>&1 | FileCheck %s --check-prefix=TYPE
// TYPE: error: coopt-calibrate: calibration data '{{.*}}calib-int.npy' must be f32, not i32
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/no-such-file.npy})' 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: coopt-calibrate: {{.*}}no-such-file.npy
// RUN: not coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy batch=8})' 2>&1 | FileCheck %s --check-prefix=BATCH
// BATCH: error: coopt-calibrate: batch=8, but the model's input has a static batch of 1
// IDX images need a normalisation: from the model's coopt.metadata or normalize=.
// RUN: not coopt-opt %S/Inputs/calib-image-model.mlir -p 'builtin.module(coopt-calibrate{data=/usr/share/datasets/fashion-mnist})' 2>&1 | FileCheck %s --check-prefix=NONORM
// NONORM: error: coopt-calibrate: no input normalisation for IDX images: give normalize=<mean>,<std>
// RUN: not coopt-opt %s -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy})' 2>&1 | FileCheck %s --check-prefix=NOMAIN
// NOMAIN: error: coopt-calibrate: the module has no func.func @main to run
func.func @not_main(%x: tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32> {
  return %x : tensor<1x1x1x4xf32>
}
