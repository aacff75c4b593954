// coopt-recover on a miniature DS-CNN (Inputs/recover-model.mlir, batch 8)
// with 200 calibration samples (Inputs/recover-calib.npy).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-stats{format=json output=%t.before.json},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-verify-structure,coopt-stats{format=json output=%t.after.json})' -o %t.rec.mlir 2> %t.rec.err
// RUN: FileCheck %s --check-prefix=REMARKS < %t.rec.err
// RUN: sh %S/Inputs/errors-drop.sh < %t.rec.err | FileCheck %s --check-prefix=DROP
// REMARKS: remark: 'dw': coopt-recover: tosa.depthwise_conv2d weight 3x3x8x1 of 'dw' has no coopt.structure record; left as it is (dense=true refits it)
// REMARKS: remark: 'stem': coopt-recover: tosa.conv2d weight 8x3x3x4 of 'stem': relative output error {{0\.[0-9]+}} -> {{0\.[0-9]+}} (152 values refit with the bias, 200 samples)
// REMARKS: remark: 'pw': coopt-recover: tosa.conv2d weight 8x1x1x8 of 'pw': relative output error {{.*}} (40 values refit with the bias, 200 samples)
// REMARKS: remark: 'fc': coopt-recover: tosa.matmul weight 1x8x3 of 'fc': relative output error {{.*}} (15 values refit with the bias, 200 samples)
// DROP: 3 layers, errors dropped
// Zeros and records are unchanged (the zero fraction and every record; the
// bit-identical mask is checked value by value in unit-compression).
// RUN: grep -E '"(zero_fraction|structure)"' %t.before.json > %t.before.txt
// RUN: grep -E '"(zero_fraction|structure)"' %t.after.json > %t.after.txt
// RUN: diff %t.before.txt %t.after.txt
// The refit weights and biases are new, the float values stay as coopt.reference.
// RUN: FileCheck %s --check-prefix=REF < %t.rec.mlir
// REF-LABEL: func.func @main(
// REF: tosa.const{{.*}}coopt.reference = dense<{{.*}}tensor<8x3x3x4xf32>, coopt.structure = {pattern = "unstructured", sparsity = 5.000000e-01 : f64}
// REF: tosa.const{{.*}}tensor<8xf32>}> {coopt.reference = dense
// Deterministic.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o %t.rec2.mlir 2>/dev/null
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o %t.rec3.mlir 2>/dev/null
// RUN: cmp %t.rec2.mlir %t.rec3.mlir
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o %t.rec4.mlir --mlir-disable-threading 2>/dev/null
// RUN: cmp %t.rec2.mlir %t.rec4.mlir

// Structured masks: 2:4 and 1x4 blocks stay exactly as pruned.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=2:4},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-verify-structure)' -o /dev/null 2>&1 | sh %S/Inputs/errors-drop.sh | FileCheck %s --check-prefix=DROP
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=1x4 sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-verify-structure)' -o /dev/null 2>&1 | sh %S/Inputs/errors-drop.sh | FileCheck %s --check-prefix=DROP

// activation-aware: the stem and pw feed ReLUs; their error is reported (and
// lowered) after the clamp.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy activation-aware=true},coopt-verify-structure)' -o /dev/null 2> %t.act.err
// RUN: FileCheck %s --check-prefix=ACT < %t.act.err
// RUN: sh %S/Inputs/errors-drop.sh < %t.act.err | FileCheck %s --check-prefix=DROP
// ACT: 'stem': coopt-recover: {{.*}}: relative output error after the clamp {{.*}} (152 values refit
// ACT: 'pw': coopt-recover: {{.*}}: relative output error after the clamp
// ACT: 'fc': coopt-recover: {{.*}}: relative output error {{0}}

// Clustered layers keep their codebook size; only the centroids move.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{clusters=4 per-channel=true},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-verify-structure,coopt-stats{format=json})' 2> %t.cl.err | FileCheck %s --check-prefix=CLUSTER
// RUN: FileCheck %s --check-prefix=CLUSTER-REMARK < %t.cl.err
// CLUSTER: "max_channel_distinct": 4,
// CLUSTER: "structure": "{clusters = 4 : i64, per_channel = true}"
// 8 channels x (4 centroids + the bias) for the stem.
// CLUSTER-REMARK: 'stem': coopt-recover: {{.*}} (40 values refit with the bias, 200 samples)
// Clustered per tensor: one codebook for the tensor, solved with every bias.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-cluster{clusters=4},coopt-recover{data=%S/Inputs/recover-calib.npy},coopt-verify-structure)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=TENSOR
// TENSOR: 'stem': coopt-recover: {{.*}} (12 values refit with the bias, 200 samples)
// TENSOR: 'fc': coopt-recover: {{.*}} (7 values refit with the bias, 200 samples)

// Options.
// dense=true refits the depthwise layer too (8 channels x (9 taps + bias)).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy dense=true})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=DENSE
// DENSE: 'dw': coopt-recover: tosa.depthwise_conv2d weight 3x3x8x1 of 'dw': relative output error {{.*}} (80 values refit with the bias, 200 samples)
// samples, batch, damp (0: plain least squares).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy samples=64 batch=8 damp=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SAMPLES
// SAMPLES: 'stem': coopt-recover: {{.*}} 64 samples)
// ops, min-elements, filter choose the layers.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy ops=matmul})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPS
// OPS-NOT: 'stem': coopt-recover
// OPS: 'fc': coopt-recover: tosa.matmul
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy min-elements=100 filter=stem,fc})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SELECT
// SELECT: 'stem': coopt-recover: tosa.conv2d
// SELECT-NOT: coopt-recover: tosa
// keep-reference=false leaves no reference behind.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy keep-reference=false})' 2>/dev/null | FileCheck %s --check-prefix=NOREF
// NOREF-LABEL: func.func @main(
// NOREF-NOT: coopt.reference
// entry: another function name.
// RUN: sed 's/@main/@net/' %S/Inputs/recover-model.mlir > %t.net.mlir
// RUN: coopt-opt %t.net.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-recover{data=%S/Inputs/recover-calib.npy entry=net})' -o /dev/null 2>&1 | sh %S/Inputs/errors-drop.sh | FileCheck %s --check-prefix=DROP
// A recovered model keeps its references, so it can be recovered again (the
// float target is the same; the damping lets the second run move further).
// RUN: coopt-opt %t.rec.mlir -p 'builtin.module(coopt-recover{data=%S/Inputs/recover-calib.npy})' -o /dev/null 2>&1 | sh %S/Inputs/errors-drop.sh | FileCheck %s --check-prefix=DROP

// That recovery beats no recovery on what the model computes (the recovered
// logits closer to the float model's than the pruned ones) is checked by
// test/Integration/Compiled/pass-numerics.test.
