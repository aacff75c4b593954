// coopt-permute-channels: the channels between two layers move together so
// that an N:M or block mask on the consumer keeps more; the model computes
// the same function (Inputs/recover-model.mlir: stem, dw, pw, fc).
// RUN: coopt-runner %S/Inputs/recover-model.mlir --input %S/Inputs/recover-input.npy --output %t.ref.npy
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/recover-calib.npy})' -o %t.perm.mlir 2>&1 | FileCheck %s --check-prefix=BLOCK
// BLOCK: remark: 'stem': coopt-permute-channels: tosa.conv2d weight 8x3x3x4 of 'stem': its 4 input channels do not make two or more groups of 4; channels left in place
// BLOCK: remark: 'fc': coopt-permute-channels: tosa.matmul weight 1x8x3 of 'fc': 8 input channels reordered with their producer (4 ops, 3 constants); importance kept by 1x4: 0.7801 -> 0.9035
// BLOCK: remark: 'pw': coopt-permute-channels: tosa.conv2d weight 8x1x1x8 of 'pw': 8 input channels reordered with their producer (4 ops, 5 constants); importance kept by 1x4: 0.6804 -> 0.8972
// RUN: coopt-runner %t.perm.mlir --input %S/Inputs/recover-input.npy --expect %t.ref.npy
// What it is for: after 1x4 pruning and recovery, pw reproduces the float
// layer better from the reordered channels (0.2872 -> 0.1960 relative output
// error), and fc too (0.0081 -> 0.0076).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{pattern=1x4 method=obs data=%S/Inputs/recover-calib.npy},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=PLAIN
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/recover-calib.npy},coopt-prune{pattern=1x4 method=obs data=%S/Inputs/recover-calib.npy},coopt-recover{data=%S/Inputs/recover-calib.npy})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=PERMUTED
// PLAIN: 'pw': coopt-recover: {{.*}} -> 0.2872 (
// PLAIN: 'fc': coopt-recover: {{.*}} -> 0.0081 (
// PERMUTED: 'pw': coopt-recover: {{.*}} -> 0.1960 (
// PERMUTED: 'fc': coopt-recover: {{.*}} -> 0.0076 (

// N:M: the best two of every four.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{pattern=2:4 data=%S/Inputs/recover-calib.npy})' -o %t.nm.mlir 2>&1 | FileCheck %s --check-prefix=NM
// NM: 'fc': {{.*}} importance kept by 2:4: 0.{{[0-9]+}} -> 0.{{[0-9]+}}
// NM: 'pw': {{.*}} importance kept by 2:4: 0.{{[0-9]+}} -> 0.{{[0-9]+}}
// RUN: coopt-runner %t.nm.mlir --input %S/Inputs/recover-input.npy --expect %t.ref.npy
// RxC with R > 1: rows are grouped too (fc's 3 outputs are not a multiple of 2).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{pattern=2x4})' -o %t.2x4.mlir 2>&1 | FileCheck %s --check-prefix=R2
// R2: 'fc': {{.*}}: its 3 output channels are not a multiple of the 2-row blocks; channels left in place
// R2: 'pw': {{.*}} 8 input channels reordered with their producer
// RUN: coopt-runner %t.2x4.mlir --input %S/Inputs/recover-input.npy --expect %t.ref.npy
// Without data the importance is w² alone (other figures); sparsity sets the
// blocks a row keeps (at 0 all of them: no order can keep more).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: 'pw': {{.*}} importance kept by 1x4: 0.{{[0-9]+}} -> 0.{{[0-9]+}}
// NODATA-NOT: 0.6804 -> 0.8972
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{sparsity=0})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=KEEPALL
// KEEPALL: 'pw': coopt-permute-channels: {{.*}}: no order keeps more than the present one (1.0000)
// ops, filter, min-elements, passes choose the consumers and the effort.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{ops=matmul})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPS
// OPS-NOT: 'pw'
// OPS: 'fc': {{.*}} reordered
// OPS-NOT: 'pw'
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{filter=pw})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=FILTER
// FILTER-NOT: 'fc'
// FILTER: 'pw': {{.*}} reordered
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{min-elements=64})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=MIN
// MIN-NOT: 'fc'
// MIN: 'pw': {{.*}} reordered
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{passes=1 data=%S/Inputs/recover-calib.npy samples=16})' -o %t.p1 2>&1 | FileCheck %s --check-prefix=PASSES
// PASSES: 'pw': {{.*}} importance kept by 1x4: 0.{{[0-9]+}} -> 0.{{[0-9]+}}
// Deterministic.
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-permute-channels{data=%S/Inputs/recover-calib.npy})' -o %t.again.mlir
// RUN: cmp %t.perm.mlir %t.again.mlir

// The chains it walks (Inputs/permute-chains.mlir): through a per-channel
// add (its constant moves), a scalar mul and a max-pool to the producer.
// RUN: coopt-runner %S/Inputs/permute-chains.mlir --input %S/Inputs/permute-input.npy --output %t.chain.npy
// RUN: coopt-opt %S/Inputs/permute-chains.mlir -p 'builtin.module(coopt-permute-channels)' -o %t.chain.mlir 2>&1 | FileCheck %s --check-prefix=CHAIN
// CHAIN: 'first': coopt-permute-channels: tosa.conv2d weight 8x1x1x8 of 'first': its inputs are the function's arguments; channels left in place
// CHAIN: 'second': coopt-permute-channels: tosa.conv2d weight 8x1x1x8 of 'second': 8 input channels reordered with their producer (4 ops, 4 constants)
// RUN: coopt-runner %t.chain.mlir --input %S/Inputs/permute-input.npy --expect %t.chain.npy
// RUN: FileCheck %s --check-prefix=MOVED < %t.chain.mlir
// MOVED: %[[K:.*]] = "tosa.const"() <{values = dense<{{.*}}> : tensor<1x1x1x8xf32>}>
// MOVED-NOT: coopt.reference
// What stops a chain: a residual add, a value with two users, a depthwise
// convolution with a channel multiplier.
// RUN: coopt-opt %S/Inputs/permute-chains.mlir -p 'builtin.module(coopt-permute-channels{entry=residual})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=RESIDUAL
// RESIDUAL: 'after-residual': {{.*}}: tosa.add joins two computed values; channels left in place
// RUN: coopt-opt %S/Inputs/permute-chains.mlir -p 'builtin.module(coopt-permute-channels{entry=shared})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=SHARED
// SHARED: 'left': {{.*}}: a value on the way to its producer has other users; channels left in place
// SHARED: 'right': {{.*}}: a value on the way to its producer has other users; channels left in place
// RUN: coopt-opt %S/Inputs/permute-chains.mlir -p 'builtin.module(coopt-permute-channels{entry=multiplier})' -o /dev/null 2>&1 | FileCheck %s --check-prefix=MULT
// MULT: 'after-multiplier': {{.*}}: a depthwise convolution on the way has a channel multiplier; channels left in place
// A compressed weight keeps its channels (its record and reference would no longer match).
// RUN: coopt-opt %S/Inputs/recover-model.mlir -p 'builtin.module(coopt-prune{filter=fc},coopt-permute-channels)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=COMPRESSED
// COMPRESSED: 'fc': {{.*}}: it is shared or already compressed; channels left in place
// COMPRESSED: 'pw': {{.*}} reordered
