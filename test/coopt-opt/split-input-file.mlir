// Chunks are processed independently; line numbers refer to this file.
// RUN: not coopt-opt %s --split-input-file 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: coopt-opt %s --split-input-file --verify-diagnostics | FileCheck %s

// CHECK-LABEL: func.func @first
// CHECK: // -----
// CHECK-LABEL: func.func @third
func.func @first() {
  return
}

// -----

// ERR: split-input-file.mlir:[[@LINE+3]]:10: error: use of undeclared SSA value name
func.func @second() {
  // expected-error@+1 {{use of undeclared SSA value name}}
  return %undefined : i32
}

// -----

func.func @third() {
  return
}
