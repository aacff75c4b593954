// Options out of their domain are located errors on the pipeline text, and
// nothing is written.
// RUN: not coopt-opt %s -o %t -p 'builtin.module(coopt-plan-buffers{max-stack=-1})' 2>&1 | FileCheck %s --check-prefix=STACK
// STACK: <pipeline>:1:45: error: option 'max-stack' value -1 is out of range (must be in [0, inf))
// RUN: not coopt-opt %s -o %t -p 'builtin.module(coopt-plan-buffers{kernels-in-place=maybe})' 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: <pipeline>:1:52: error: option 'kernels-in-place' expects true or false, got 'maybe'
// RUN: not coopt-opt %s -o %t -p 'builtin.module(coopt-plan-buffers{arena=heap})' 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// UNKNOWN: <pipeline>:1:35: error: unknown option 'arena' for pass 'coopt-plan-buffers'
// RUN: not test -e %t
func.func @f() {
  return
}
