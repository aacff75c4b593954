// coopt-distill on the miniature DS-CNN (Inputs/recover-model.mlir, batch 8)
// with 200 samples (Inputs/recover-calib.npy): pruned, recovered layer by
// layer, then fit end to end to the float model.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-stats{format=json output=%t.before.json},coopt-distill{data=%S/Inputs/recover-calib.npy samples=200 epochs=20},coopt-verify-structure,coopt-stats{format=json output=%t.after.json})' -o %t.mlir 2> %t.err
// RUN: FileCheck %s --check-prefix=REMARK < %t.err
// RUN: sh %S/Inputs/error-drops.sh < %t.err | FileCheck %s --check-prefix=DROP
// 25 of the 200 samples are held out; every weight and bias moves (stem 144 +
// 8, dw 72 + 8, pw 32 + 8, fc 12 + 3: the nonzeros and the biases).
// REMARK: recover-model.mlir:2:1: remark: coopt-distill: relative output error on 25 held-out samples {{0\.[0-9]+}} -> {{0\.[0-9]+}} (287 values in 8 tensors, 175 samples fit, 100 steps, best after epoch {{[0-9]+}} of 20)
// DROP: held-out error dropped
// Zeros and records are unchanged.
// RUN: grep -E '"(zero_fraction|structure)"' %t.before.json > %t.before.txt
// RUN: grep -E '"(zero_fraction|structure)"' %t.after.json > %t.after.txt
// RUN: diff %t.before.txt %t.after.txt
// The weights moved and the float values stay as coopt.reference (also on the
// dense depthwise layer it moved).
// RUN: FileCheck %s --check-prefix=REF < %t.mlir
// REF-LABEL: func.func @main(
// REF: tosa.const{{.*}}coopt.reference = dense<{{.*}}tensor<8x3x3x4xf32>, coopt.structure = {pattern = "unstructured", sparsity = 5.000000e-01 : f64}
// REF: tosa.const{{.*}}tensor<3x3x8x1xf32>}> {coopt.reference = dense
// Deterministic.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy samples=200 epochs=20})' -o %t.2.mlir 2>/dev/null
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy samples=200 epochs=20})' -o %t.3.mlir --mlir-disable-threading 2>/dev/null
// RUN: cmp %t.2.mlir %t.3.mlir

// Structured masks stay exactly as pruned.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=2:4},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy epochs=10},coopt-verify-structure)' -o /dev/null 2>&1 | sh %S/Inputs/error-drops.sh | FileCheck %s --check-prefix=DROP
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=1x4 sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy epochs=10},coopt-verify-structure)' -o /dev/null 2>&1 | sh %S/Inputs/error-drops.sh | FileCheck %s --check-prefix=DROP

// Clustered layers move by their centroids: per channel, stem and pw 8 x 4
// centroids + 8 biases, fc 3 x 4 + 3, and the dense depthwise layer 80.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{clusters=4 per-channel=true},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy epochs=5},coopt-verify-structure,coopt-stats{format=json})' 2> %t.cl.err | FileCheck %s --check-prefix=CLUSTER
// RUN: FileCheck %s --check-prefix=CLUSTER-REMARK < %t.cl.err
// CLUSTER: "max_channel_distinct": 4,
// CLUSTER: "structure": "{clusters = 4 : i64, per_channel = true}"
// CLUSTER-REMARK: coopt-distill: {{.*}} (175 values in 8 tensors,
// Per tensor: one codebook of 4 per tensor (stem 4 + 8, pw 4 + 8, fc 4 + 3, dw 80).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{clusters=4},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy epochs=5},coopt-verify-structure,coopt-stats{format=json})' 2> %t.ct.err | FileCheck %s --check-prefix=TENSOR
// RUN: FileCheck %s --check-prefix=TENSOR-REMARK < %t.ct.err
// TENSOR: "distinct": 4,
// TENSOR: "structure": "{clusters = 4 : i64, per_channel = false}"
// TENSOR-REMARK: coopt-distill: {{.*}} (111 values in 8 tensors,

// Options.
// layers=compressed: only the pruned layers and their biases move (no dw).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy layers=compressed epochs=3})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=LAYERS
// LAYERS: coopt-distill: {{.*}} (207 values in 6 tensors, 175 samples fit, 15 steps, best after epoch {{[0-3]}} of 3)
// samples, epochs, lr, batch: 64 samples hold out 8 and fit 56; a step
// averages 4 batches of 8 (32 samples), so 1 step per epoch.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy samples=64 epochs=2 lr=0.01 batch=8})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SAMPLES
// SAMPLES: coopt-distill: relative output error on 8 held-out samples {{.*}} (287 values in 8 tensors, 56 samples fit, 2 steps, best after epoch {{[0-2]}} of 2)
// keep-reference=false leaves no reference behind.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-distill{data=%S/Inputs/recover-calib.npy epochs=1 keep-reference=false})' 2>/dev/null | FileCheck %s --check-prefix=NOREF
// NOREF-LABEL: func.func @main(
// NOREF-NOT: coopt.reference
// entry: another function name.
// RUN: sed 's/@main/@net/' %S/Inputs/recover-model.mlir > %t.net.mlir
// RUN: coopt-opt %t.net.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy entry=net},coopt-distill{data=%S/Inputs/recover-calib.npy entry=net epochs=10})' -o /dev/null 2>&1 | sh %S/Inputs/error-drops.sh | FileCheck %s --check-prefix=DROP

// Never worse than the start on the held-out samples: a step size that
// diverges keeps the starting weights (best after epoch 0), output unchanged.
// RUN: coopt-opt %t.2.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy epochs=2 lr=1})' -o %t.lr.mlir 2>&1 | FileCheck %s --check-prefix=DIVERGE
// DIVERGE: coopt-distill: relative output error on 25 held-out samples [[E:0\.[0-9]+]] -> [[E]] ({{.*}} best after epoch 0 of 2
// RUN: coopt-opt %t.2.mlir -o %t.2n.mlir
// RUN: cmp %t.2n.mlir %t.lr.mlir

// Out of the interpreter's scope: a remark at the op, the model as it was.
// RUN: sed 's/tosa.clamp %c3 {max_val = 3.40282347E+38 : f32, min_val = 0.000000e+00 : f32}/tosa.sigmoid %c3/' %S/Inputs/recover-model.mlir > %t.sig.mlir
// RUN: coopt-opt %t.sig.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-distill{data=%S/Inputs/recover-calib.npy})' -o %t.sig.out 2>&1 | FileCheck %s --check-prefix=SCOPE
// SCOPE: sig.mlir:15:9: remark: coopt-distill: tosa.sigmoid is not supported; the model is left as it is
// RUN: coopt-opt %t.sig.mlir -p 'builtin.module(coopt-prune{sparsity=0.5})' -o %t.sig.ref 2>/dev/null
// RUN: cmp %t.sig.ref %t.sig.out

// Nothing compressed and layers=compressed: nothing may move.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-distill{data=%S/Inputs/recover-calib.npy layers=compressed})' -o %t.none.mlir 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: recover-model.mlir:2:1: remark: coopt-distill: no value may move (layers=compressed); left as it is
// RUN: coopt-opt %S/Inputs/recover-model.mlir -o %t.none.ref
// RUN: cmp %t.none.ref %t.none.mlir

// The named pipelines: distill=true runs it after the last coopt-recover,
// which keeps the references for it; it drops them.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-pqat{data=%S/Inputs/recover-calib.npy samples=200 distill=true distill-samples=200 distill-epochs=4 distill-lr=0.002})' --dump-pass-pipeline -o %t.pqat.mlir 2> %t.pqat.err
// RUN: FileCheck %s --check-prefix=PIPE < %t.pqat.err
// PIPE: coopt-recover{{{.*}} keep-reference=true {{.*}}},coopt-distill{data={{.*}}recover-calib.npy samples=200 normalize= batch=0 entry=main epochs=4 lr=0.002 layers=all keep-reference=false},coopt-calibrate
// PIPE: remark: coopt-distill: relative output error on 25 held-out samples
// RUN: FileCheck %s --check-prefix=NOREF < %t.pqat.mlir
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-pcqat{data=%S/Inputs/recover-calib.npy clusters=4 per-channel=true distill=true distill-epochs=2})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PCQAT
// PCQAT: coopt-recover{{{.*}} keep-reference=true {{.*}}},coopt-cluster{{{.*}}},coopt-recover{{{.*}} keep-reference=true {{.*}}},coopt-distill{{{.*}} samples=16384 {{.*}} epochs=2 lr=0.001 {{.*}}},coopt-calibrate
// Without recovery (or without data) there is no distillation either.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-pqat{data=%S/Inputs/recover-calib.npy recover=false distill=true})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PLAIN
// PLAIN-NOT: coopt-distill
