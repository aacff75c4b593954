// The named pipeline = prune, cluster keeping zeros, verify.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{sparsity=0.5 clusters=3 per-channel=true},coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=SPC
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{pattern=1x4 sparsity=0.5 init=linear seed=2})' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DUMP
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering)' --dump-pass-pipeline -o /dev/null 2>&1 | FileCheck %s --check-prefix=DEFAULT
// Equivalent to spelling the parts out.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{sparsity=0.5 clusters=3})' -o %t.named
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 keep-reference=false},coopt-cluster{clusters=3 preserve-sparsity=true keep-reference=false},coopt-verify-structure)' -o %t.parts
// RUN: diff %t.named %t.parts
// With data, each step is followed by coopt-recover and pruning uses OBS;
// the last recovery drops the float references.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{data=%S/Inputs/quant-calib.npy clusters=3})' --dump-pass-pipeline -o %t.rec 2>&1 | FileCheck %s --check-prefix=DATA
// DATA: builtin.module(coopt-prune{{{.*}}keep-reference=true method=obs {{.*}}},coopt-recover{{{.*}}dense=true keep-reference=true activation-aware=false},coopt-cluster{clusters=3 {{.*}}preserve-sparsity=true {{.*}}},coopt-recover{{{.*}}dense=false keep-reference=false activation-aware=false},coopt-verify-structure{})
// RUN: not grep -q coopt.reference %t.rec
// RUN: not coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{prune-method=obs})' 2>&1 | FileCheck %s --check-prefix=NODATA
// NODATA: error: invalid options for 'coopt-sparsity-preserving-clustering': prune-method=obs and cluster-method=hessian need data=
// RUN: not coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{pattern=5:4})' 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-sparsity-preserving-clustering{clusters=300})' 2>&1 | FileCheck %s --check-prefix=BADK

// SPC: "zero_fraction": 0.5,
// SPC: "max_channel_distinct": 3,
// SPC: "structure": "{clusters = 3 : i64, pattern = \"unstructured\", per_channel = true, sparsity = 5.000000e-01 : f64}"
// DUMP: builtin.module(coopt-prune{sparsity=0.5 pattern=1x4 scope=layer {{.*}}},coopt-cluster{clusters=16 init=linear seed=2 {{.*}} per-channel=false preserve-sparsity=true {{.*}}},coopt-verify-structure{})
// DEFAULT: builtin.module(coopt-prune{sparsity=0.5 pattern=unstructured {{.*}}},coopt-cluster{clusters=16 init=kmeans++ seed=0 {{.*}}preserve-sparsity=true {{.*}}},coopt-verify-structure{})
// BAD: error: invalid options for 'coopt-sparsity-preserving-clustering': pattern '5:4': N:M needs 1 <= N < M <= 64
// BADK: error: option 'clusters' value 300 is out of range (must be in [2, 256])
