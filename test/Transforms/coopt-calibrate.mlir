// Ranges by hand (Inputs/calib-model.mlir): input [-2, 3], conv+ReLU [0, 3.5].
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy})' | FileCheck %s --check-prefix=MINMAX
// MINMAX: func.func @main(%arg0: tensor<1x1x1x4xf32> {coopt.range = array<f64: -2.000000e+00, 3.000000e+00>})
// MINMAX: tosa.conv2d
// MINMAX-NOT: coopt.range
// MINMAX: tosa.clamp {{.*}}coopt.range = array<f64: 0.000000e+00, 3.500000e+00>
// samples picks evenly spread items: 2 of 3 are items 0 and 1 (x2 holds the extremes).
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy samples=2})' | FileCheck %s --check-prefix=TWO
// TWO: coopt.range = array<f64: -1.000000e+00, 2.000000e+00>
// TWO: coopt.range = array<f64: 0.000000e+00, 1.500000e+00>
// batch equal to the model's is accepted.
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy batch=1})' | FileCheck %s --check-prefix=MINMAX

// One outlier of 100 among 4000 values in [0, 1): minmax keeps it, the
// 99.9th percentile clips it (to the histogram bin edge above 1), mse keeps
// nearly all of it (clipping it would cost more than the coarser grid).
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib-outlier.npy samples=1001})' | FileCheck %s --check-prefix=OUT-MINMAX
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib-outlier.npy samples=1001 method=percentile percentile=99.9})' | FileCheck %s --check-prefix=OUT-PCT
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib-outlier.npy samples=1001 method=mse})' | FileCheck %s --check-prefix=OUT-MSE
// OUT-MINMAX-LABEL: func.func @main(
// OUT-MINMAX: coopt.range = array<f64: 1.8996000289916992E-4, 1.000000e+02>
// OUT-PCT-LABEL: func.func @main(
// OUT-PCT: coopt.range = array<f64: 1.8996000289916992E-4, 1.0255786371708382>
// OUT-MSE-LABEL: func.func @main(
// OUT-MSE: coopt.range = array<f64: 1.8806040287017823E-4, 9.900000e+01>

// Ranges already in the graph are kept unless overwrite=true; deterministic.
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy})' -o %t.1
// RUN: coopt-opt %t.1 -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy samples=2})' | FileCheck %s --check-prefix=MINMAX
// RUN: coopt-opt %t.1 -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy samples=2 overwrite=true})' | FileCheck %s --check-prefix=TWO
// RUN: coopt-opt %t.1 --mlir-print-debuginfo -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=KEEP --allow-empty
// RUN: coopt-opt %S/Inputs/calib-model.mlir -p 'builtin.module(coopt-calibrate{data=%S/Inputs/calib3.npy})' -o %t.2
// RUN: cmp %t.1 %t.2

// IDX directory: the training split, pixels / 255 normalised by normalize=
// (the model has no coopt.metadata).
// RUN: coopt-opt %S/Inputs/calib-image-model.mlir -p 'builtin.module(coopt-calibrate{data=/usr/share/datasets/fashion-mnist samples=64 normalize=0,1})' | FileCheck %s --check-prefix=IDX01
// RUN: coopt-opt %S/Inputs/calib-image-model.mlir -p 'builtin.module(coopt-calibrate{data=/usr/share/datasets/fashion-mnist samples=64 normalize=0.5,0.5})' | FileCheck %s --check-prefix=IDX11
// IDX01-LABEL: func.func @main(
// IDX01: coopt.range = array<f64: 0.000000e+00, 1.000000e+00>
// IDX01: coopt.range = array<f64: 0.000000e+00, 5.000000e-01>
// IDX11-LABEL: func.func @main(
// IDX11: coopt.range = array<f64: -1.000000e+00, 1.000000e+00>
// IDX11: coopt.range = array<f64: -1.000000e+00, 5.000000e-01>
// KEEP: remark: coopt-calibrate: all 2 quantization points already have ranges
