// --verify-diagnostics: every expected-* must be produced, nothing else.
// RUN: coopt-opt %s --split-input-file --verify-diagnostics
// RUN: not coopt-opt %S/Inputs/unmatched.mlir --verify-diagnostics 2>&1 | FileCheck %S/Inputs/unmatched.mlir --check-prefix=UNMATCHED

// expected-error@+2 {{expected ')'}}
// The @+N form.
func.func @a(%x: i32 {

// -----

func.func @b() {
  return %x : i32 // expected-error {{use of undeclared SSA value name}}
}

// -----

func.func @c() {
  // expected-error-re@below {{use of {{[a-z]+}} SSA value}}
  return %x : i32
}

// -----

func.func @d() {
  return %x : i32
  // expected-error@above {{undeclared}}
}

