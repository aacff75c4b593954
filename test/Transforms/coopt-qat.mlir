// The seed's paths as named pipelines (post-training forms), on the
// miniature model with its recorded ranges removed.
// RUN: sed -e 's/, coopt\.range = array<f64: [^>]*>//g' -e 's/ {coopt\.range = array<f64: [^>]*>}//g' %S/Inputs/quant-model.mlir > %t.model.mlir
// RUN: not grep -q coopt.range %t.model.mlir

// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-qat{data=%S/Inputs/quant-calib.npy})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=QAT
// QAT: builtin.module(coopt-calibrate{data={{.*}}quant-calib.npy samples=512 {{.*}}method=minmax percentile=99.99 {{.*}}},coopt-fake-quant{bits=8 per-channel=true preserve-sparsity=false preserve-clusters=false exact=true},coopt-verify-structure{})
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pqat{data=%S/Inputs/quant-calib.npy sparsity=0.75 pattern=2:4 quant-per-channel=false method=mse samples=7})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PQAT
// PQAT: builtin.module(coopt-permute-channels{pattern=2:4 sparsity=0.75 ops=conv2d,transpose_conv2d,matmul min-elements=0 filter= passes=2 data={{.*}}quant-calib.npy samples=7 {{.*}}},coopt-prune{sparsity=0.75 pattern=2:4 {{.*}}keep-reference=true method=obs damp=0.01 data={{.*}}quant-calib.npy samples=7 {{.*}}},coopt-recover{data={{.*}} samples=7 {{.*}}dense=true keep-reference=false activation-aware=false},coopt-calibrate{data={{.*}} samples=7 {{.*}}method=mse {{.*}}},coopt-fake-quant{bits=8 per-channel=false preserve-sparsity=true preserve-clusters=false exact=true},coopt-verify-structure{})
// An N:M or RxC pattern first reorders the channels between layers;
// permute=false does not, and neither does the unstructured default.
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pqat{data=%S/Inputs/quant-calib.npy pattern=1x4 permute=false})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOPERM
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pqat{data=%S/Inputs/quant-calib.npy})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=NOPERM
// NOPERM: builtin.module(coopt-prune{
// NOPERM-NOT: coopt-permute-channels
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-cqat{data=%S/Inputs/quant-calib.npy clusters=8 per-channel=true init=linear seed=3 method=percentile percentile=99.5})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=CQAT
// CQAT: builtin.module(coopt-cluster{clusters=8 init=linear seed=3 {{.*}}per-channel=true preserve-sparsity=false {{.*}}method=kmeans {{.*}}},coopt-recover{{{.*}}dense=true keep-reference=false activation-aware=false},coopt-calibrate{{{.*}}method=percentile percentile=99.5 {{.*}}},coopt-fake-quant{bits=8 per-channel=true preserve-sparsity=false preserve-clusters=true exact=true},coopt-verify-structure{})
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pcqat{data=%S/Inputs/quant-calib.npy})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PCQAT
// PCQAT: builtin.module(coopt-prune{sparsity=0.5 pattern=unstructured {{.*}}method=obs {{.*}}},coopt-recover{{{.*}}dense=true keep-reference=true activation-aware=false},coopt-cluster{clusters=16 {{.*}}preserve-sparsity=true {{.*}}},coopt-recover{{{.*}}dense=false keep-reference=false activation-aware=false},coopt-calibrate{{{.*}}},coopt-fake-quant{bits=8 per-channel=true preserve-sparsity=true preserve-clusters=true exact=true},coopt-verify-structure{})
// recover=false is the plain form: magnitude pruning, nothing refit, no references kept.
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pcqat{data=%S/Inputs/quant-calib.npy recover=false})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=PLAIN
// PLAIN: builtin.module(coopt-prune{sparsity=0.5 {{.*}}keep-reference=false method=magnitude {{.*}}},coopt-cluster{clusters=16 {{.*}}keep-reference=false method=kmeans {{.*}}},coopt-calibrate{{{.*}}},coopt-fake-quant{{{.*}}},coopt-verify-structure{})
// PLAIN-NOT: coopt-recover
// Every option of the parts reaches them.
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pcqat{data=%S/Inputs/quant-calib.npy normalize=0.5,2 entry=main scope=global ops=conv2d min-elements=3 damp=0.1 recover-dense=false prune-method=magnitude cluster-method=hessian samples=9})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=OPTS
// OPTS: coopt-prune{sparsity=0.5 pattern=unstructured scope=global ops=conv2d min-elements=3 {{.*}}method=magnitude{{.*}}},coopt-recover{{{.*}}samples=9 normalize=0.5,2 {{.*}}damp=0.1 {{.*}}dense=false keep-reference=true activation-aware=false},coopt-cluster{{{.*}}ops=conv2d min-elements=3 {{.*}}method=hessian data={{.*}} samples=9 normalize=0.5,2 {{.*}}},coopt-recover{{{.*}}damp=0.1 {{.*}}dense=false keep-reference=false activation-aware=false},coopt-calibrate{{{.*}}samples=9 {{.*}}normalize=0.5,2 {{.*}}entry=main}

// Equivalent to spelling the parts out.
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pcqat{data=%S/Inputs/quant-calib.npy clusters=4 per-channel=true recover=false})' -o %t.plain
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-prune{keep-reference=false},coopt-cluster{clusters=4 per-channel=true preserve-sparsity=true keep-reference=false},coopt-calibrate{data=%S/Inputs/quant-calib.npy},coopt-fake-quant{preserve-sparsity=true preserve-clusters=true},coopt-verify-structure)' -o %t.plain-parts
// RUN: diff %t.plain %t.plain-parts
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pcqat{data=%S/Inputs/quant-calib.npy clusters=4 per-channel=true})' -o %t.named
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-prune{method=obs data=%S/Inputs/quant-calib.npy},coopt-recover{data=%S/Inputs/quant-calib.npy dense=true},coopt-cluster{clusters=4 per-channel=true preserve-sparsity=true},coopt-recover{data=%S/Inputs/quant-calib.npy},coopt-calibrate{data=%S/Inputs/quant-calib.npy},coopt-fake-quant{preserve-sparsity=true preserve-clusters=true},coopt-verify-structure)' -o %t.parts
// RUN: diff %t.named %t.parts
// Recovery changes the model: the plain and the recovered forms differ.
// RUN: not cmp -s %t.plain %t.named

// Every path lowers to int8 with its structure intact.
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-qat{data=%S/Inputs/quant-calib.npy},coopt-lower-int8,coopt-verify-structure)' | FileCheck %s --check-prefix=INT8
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-pqat{data=%S/Inputs/quant-calib.npy},coopt-lower-int8,coopt-verify-structure)' | FileCheck %s --check-prefix=INT8
// RUN: coopt-opt %t.model.mlir -p 'builtin.module(coopt-cqat{data=%S/Inputs/quant-calib.npy clusters=4},coopt-lower-int8,coopt-verify-structure)' | FileCheck %s --check-prefix=INT8
// RUN: coopt-opt %t.named -p 'builtin.module(coopt-lower-int8,coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=PCQAT-INT8
// INT8: tosa.conv2d {{.*}} -> tensor<1x4x4x4xi32>
// INT8: tosa.depthwise_conv2d {{.*}} -> tensor<1x4x4x4xi32>
// INT8: tosa.matmul {{.*}} -> tensor<1x1x3xi32>
// PCQAT-INT8: "dtype": "i8",
// PCQAT-INT8: "zero_fraction": 0.5,
// PCQAT-INT8: "structure": "{clusters = 4 : i64, pattern = \"unstructured\", per_channel = true, sparsity = 5.000000e-01 : f64}"

// RUN: not coopt-opt %t.model.mlir -p 'builtin.module(coopt-pcqat)' 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: error: invalid options for 'coopt-pcqat': needs data=<IDX directory or .npy file> for coopt-calibrate
// RUN: not coopt-opt %t.model.mlir -p 'builtin.module(coopt-pqat{data=x.npy pattern=4:2})' 2>&1 | FileCheck %s --check-prefix=PATTERN
// PATTERN: error: invalid options for 'coopt-pqat': pattern '4:2': N:M needs 1 <= N < M <= 64
