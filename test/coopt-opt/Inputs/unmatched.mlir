func.func @f() {
  // expected-error@+1 {{this text is not what the parser says}}
  return %x : i32
}
// UNMATCHED: unmatched.mlir:3:10: error: unexpected error: use of undeclared SSA value name
// UNMATCHED: unmatched.mlir:2:6: error: expected error "this text is not what the parser says" was not produced
