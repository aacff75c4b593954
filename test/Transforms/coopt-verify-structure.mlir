// Each combination keeps the earlier guarantees; the verifier passes.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-cluster{clusters=4 preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=PC
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{pattern=2:4},coopt-cluster{clusters=4 per-channel=true},coopt-verify-structure)' -o /dev/null 2>&1 | FileCheck %s --check-prefix=AUTO
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-cluster{clusters=3},coopt-prune{sparsity=0.5},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=CP
// N:M then per-channel clustering keeps 2:4; blocks then clustering keep the blocks.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{pattern=2:4},coopt-cluster{clusters=3 per-channel=true preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=NMC
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{pattern=1x4 sparsity=0.5},coopt-cluster{clusters=2 preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=BC
// Prune twice (the later, lower target keeps the zeros and the 2:4 claim), cluster twice.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-prune{pattern=2:4},coopt-prune{sparsity=0.25},coopt-cluster{clusters=8 preserve-sparsity=true},coopt-cluster{clusters=4 preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=TWICE
// Per-channel clustering then pruning keeps <= k values per channel.
// RUN: coopt-opt %S/Inputs/two-layer.mlir -p 'builtin.module(coopt-cluster{clusters=2 per-channel=true},coopt-prune{sparsity=0.5},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=CPC

// PC: "zero_fraction": 0.5,
// PC: "distinct": 4,
// PC: "structure": "{clusters = 4 : i64, pattern = \"unstructured\", per_channel = false, sparsity = 5.000000e-01 : f64}"
// AUTO: remark: {{.*}}carries a sparsity claim; clustering it with preserve-sparsity
// Pruning after clustering to 3 keeps <= 3 distinct values (0 included).
// CP: "zero_fraction": 0.5,
// CP: "distinct": 3,
// NMC: "zero_fraction": 0.5,
// NMC: "max_channel_distinct": 3,
// NMC: "structure": "{clusters = 3 : i64, pattern = \"2:4\", per_channel = true, sparsity = 5.000000e-01 : f64}"
// BC: "structure": "{block_sparsity = 5.000000e-01 : f64, clusters = 2 : i64, pattern = \"1x4\", per_channel = false, sparsity = 5.000000e-01 : f64}"
// TWICE: "zero_fraction": 0.5,
// TWICE: "distinct": 4,
// TWICE: "structure": "{clusters = 4 : i64, pattern = \"2:4\", per_channel = false, sparsity = 5.000000e-01 : f64}"
// CPC: "zero_fraction": 0.5,
// CPC: "max_channel_distinct": 2,
// CPC: "structure": "{clusters = 2 : i64, pattern = \"unstructured\", per_channel = true, sparsity = 5.000000e-01 : f64}"
