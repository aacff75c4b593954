// coopt-prune{method=obs}: masks from OBS saliency on calibration data
// (Inputs/recover-model.mlir, Inputs/recover-calib.npy).
// Exact counts: ⌈0.3 × 288⌉ = 87 of the stem (36 taps a channel: 10 or 11
// each, the remainder to the cheapest channels), ⌈0.3 × 64⌉, ⌈0.3 × 24⌉.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.3 method=obs data=%S/Inputs/recover-calib.npy},coopt-verify-structure,coopt-stats)' -o /dev/null | FileCheck %s --check-prefix=COUNT
// COUNT: stem {{.*}} 288   30.21
// COUNT: dw {{.*}} 72    0.00
// COUNT: pw {{.*}} 64   31.25
// COUNT: fc {{.*}} 24   33.33
// OBS chooses other masks than magnitude, and recovery from them ends closer
// to the float model (measured on this model: stem 0.047 vs 0.0021, pw 0.16
// vs 0.036 relative output error after coopt-recover).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs data=%S/Inputs/recover-calib.npy keep-reference=false})' -o %t.obs
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 keep-reference=false})' -o %t.mag
// RUN: not cmp -s %t.obs %t.mag
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs data=%S/Inputs/recover-calib.npy},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=RECOVERED
// RECOVERED: 'stem': coopt-recover: {{.*}} -> 0.00{{[0-9]+}} (
// RECOVERED: 'pw': coopt-recover: {{.*}} -> 0.0{{[0-4][0-9]+}} (
// Kept weights keep their float values: only the mask is chosen.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs data=%S/Inputs/recover-calib.npy})' | FileCheck %s --check-prefix=KEPT
// KEPT-LABEL: func.func @main(
// KEPT: "tosa.const"() <{values = dense<{{.*}}> : tensor<8x3x3x4xf32>}> {coopt.reference =
// N:M and blocks: the patterns hold (coopt-verify-structure) and every row loses the same count.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=2:4 method=obs data=%S/Inputs/recover-calib.npy},coopt-verify-structure,coopt-stats)' -o /dev/null | FileCheck %s --check-prefix=NM
// NM: stem {{.*}} 288   50.00
// NM: pw {{.*}} 64   50.00
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=1x4 sparsity=0.5 method=obs data=%S/Inputs/recover-calib.npy},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=BLOCK
// BLOCK: "structure": "{block_sparsity = 5.000000e-01 : f64, pattern = \"1x4\", sparsity = 5.000000e-01 : f64}"
// 2x2 blocks: two output channels share each block's OBS problem.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=2x2 sparsity=0.5 method=obs data=%S/Inputs/recover-calib.npy filter=pw},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=BLOCK2
// BLOCK2: "structure": "{block_sparsity = 5.000000e-01 : f64, pattern = \"2x2\", sparsity = 5.000000e-01 : f64}"
// scope=global: one threshold on the energy-relative OBS loss; 50% over the
// selected weights (191 of 376 here), unevenly.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 scope=global method=obs data=%S/Inputs/recover-calib.npy},coopt-stats)' -o /dev/null | FileCheck %s --check-prefix=GLOBAL
// GLOBAL: stem {{.*}} 288   58.33
// GLOBAL: pw {{.*}} 64   12.50
// GLOBAL: fc {{.*}} 24   62.50
// damp, samples, entry, normalize reach the pass; deterministic.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs damp=0.5 samples=32 data=%S/Inputs/recover-calib.npy})' -o %t.a
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs damp=0.5 samples=32 data=%S/Inputs/recover-calib.npy})' -o %t.b
// RUN: cmp %t.a %t.b
// RUN: sed 's/@main/@net/' %S/Inputs/recover-model.mlir > %t.net.mlir
// RUN: coopt-opt %t.net.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs entry=net data=%S/Inputs/recover-calib.npy},coopt-verify-structure)' -o /dev/null
// A weight the data cannot reach (another function) goes by magnitude, with a remark.
// RUN: cat %S/Inputs/recover-model.mlir %S/Inputs/two-layer.mlir > %t.two.mlir
// RUN: coopt-opt %t.two.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs data=%S/Inputs/recover-calib.npy},coopt-verify-structure)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FALLBACK
// FALLBACK: remark: 'conv': coopt-prune: tosa.conv2d weight 2x1x1x8 of 'conv' is outside @main; pruned by magnitude
// A model with two inputs cannot run on one data set.
// RUN: not coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 method=obs entry=f data=%S/Inputs/recover-calib.npy})' -o %t 2>&1 | FileCheck %s --check-prefix=TWOIN
// RUN: not test -e %t
// TWOIN: error: coopt-prune: needs a model with one statically shaped f32 input [batch, ...]
