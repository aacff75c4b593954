// coopt-plan-buffers on bufferized IR: buffers become views of one arena,
// sharing bytes when their lifetimes do not overlap; what cannot be proven
// safe keeps its allocation; runtime kernels write into planned buffers.
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-plan-buffers)' | FileCheck %s
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-plan-buffers{max-stack=127})' | FileCheck %s --check-prefix=HEAP
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-plan-buffers{kernels-in-place=false})' | FileCheck %s --check-prefix=NOKERNEL
// The planned IR deallocates and lowers like any other (the heap arena is
// freed once, the stack one never).
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-plan-buffers{max-stack=127},buffer-deallocation-pipeline)' | FileCheck %s --check-prefix=FREE
// Determinism: byte-identical output.
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-plan-buffers)' -o %t.a
// RUN: coopt-opt %s --split-input-file -p 'builtin.module(coopt-plan-buffers)' -o %t.b
// RUN: cmp %t.a %t.b

// a -> b -> c: c is live only after a's last use, so it takes a's bytes.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: coopt.arena = {buffers = 3 : i64, bytes = 128 : i64, placement = "stack", unplanned_bytes = 192 : i64}
// CHECK: %[[ARENA:.*]] = memref.alloca() {alignment = 64 : i64} : memref<128xi8>
// CHECK: %[[A0:.*]] = arith.constant 0 : index
// CHECK: %[[A:.*]] = memref.view %[[ARENA]][%[[A0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: %[[B0:.*]] = arith.constant 64 : index
// CHECK: %[[B:.*]] = memref.view %[[ARENA]][%[[B0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: memref.copy %[[A]], %[[B]]
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[C:.*]] = memref.view %[[ARENA]][%[[C0]]][] : memref<128xi8> to memref<16xf32>
// CHECK: memref.copy %[[B]], %[[C]]
// CHECK-NOT: memref.alloc
// HEAP-LABEL: func.func @chain
// HEAP-SAME: placement = "heap"
// HEAP: memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// FREE-LABEL: func.func @chain
// FREE: %[[ARENA:.*]] = memref.alloc() {alignment = 64 : i64} : memref<128xi8>
// FREE: memref.dealloc %[[ARENA]] : memref<128xi8>
// FREE-NEXT: return
func.func @chain(%in: memref<16xf32>, %out: memref<16xf32>) {
  %a = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %in, %a : memref<16xf32> to memref<16xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %a, %b : memref<16xf32> to memref<16xf32>
  %c = memref.alloc() {alignment = 64 : i64} : memref<16xf32>
  memref.copy %b, %c : memref<16xf32> to memref<16xf32>
  memref.copy %c, %out : memref<16xf32> to memref<16xf32>
  return
}

// -----

// A use inside a loop keeps the buffer live for the whole loop, and a use
// through views counts as a use of the buffer: %a (read in the loop and
// then through its collapse) and %b (written in the loop) never share bytes.
// CHECK-LABEL: func.func @nested
// CHECK-SAME: coopt.arena = {buffers = 2 : i64, bytes = 128 : i64
// CHECK: arith.constant 0 : index
// CHECK: arith.constant 64 : index
func.func @nested(%in: memref<4x4xf32>, %out: memref<16xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<4x4xf32>
  memref.copy %in, %a : memref<4x4xf32> to memref<4x4xf32>
  %b = memref.alloc() : memref<4x4xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%c0, %c0] : memref<4x4xf32>
    memref.store %v, %b[%c0, %c0] : memref<4x4xf32>
  }
  %flat = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  memref.copy %flat, %out : memref<16xf32> to memref<16xf32>
  memref.copy %b, %in : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// The output of an op that accumulates into it (a named convolution or
// matmul, a generic with a reduction dimension) keeps its own allocation:
// LLVM keeps the accumulator in a register only where the output provably
// aliases no input, which views of one arena hide.  Inputs and elementwise
// outputs are planned.
// CHECK-LABEL: func.func @reductions
// CHECK-SAME: coopt.arena = {buffers = 2 : i64
// CHECK: %[[MM:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : memref<4x4xf32>, memref<4x4xf32>) outs(%[[MM]] : memref<4x4xf32>)
// CHECK: %[[SUM:.*]] = memref.alloc() : memref<4xf32>
// CHECK: linalg.generic {{.*}} outs(%[[SUM]] : memref<4xf32>)
// CHECK: memref.view
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : memref<4xf32>) outs(%{{.*}} : memref<4xf32>)
func.func @reductions(%x: memref<4x4xf32>, %out: memref<4xf32>) {
  %a = memref.alloc() : memref<4x4xf32>
  memref.copy %x, %a : memref<4x4xf32> to memref<4x4xf32>
  %mm = memref.alloc() : memref<4x4xf32>
  linalg.matmul ins(%a, %a : memref<4x4xf32>, memref<4x4xf32>) outs(%mm : memref<4x4xf32>)
  %sum = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%mm : memref<4x4xf32>) outs(%sum : memref<4xf32>) {
  ^bb0(%v: f32, %acc: f32):
    %s = arith.addf %v, %acc : f32
    linalg.yield %s : f32
  }
  %neg = memref.alloc() : memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> (i)>], iterator_types = ["parallel"]}
      ins(%sum : memref<4xf32>) outs(%neg : memref<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  }
  memref.copy %neg, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

// Left alone: a returned buffer, a dynamic shape, one aliased by an op that
// is not a view (assume_alignment), one inside a loop; nothing is planned,
// so the function gets no arena.
// CHECK-LABEL: func.func @unsafe
// CHECK-NOT: coopt.arena
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: scf.for
// CHECK-NEXT: memref.alloc() : memref<2xf32>
func.func @unsafe(%n: index, %lb: index) -> memref<4xf32> {
  %r = memref.alloc() : memref<4xf32>
  %d = memref.alloc(%n) : memref<?xf32>
  %x = memref.alloc() : memref<8xf32>
  %y = memref.assume_alignment %x, 64 : memref<8xf32>
  scf.for %i = %lb to %n step %n {
    %t = memref.alloc() : memref<2xf32>
  }
  return %r : memref<4xf32>
}

// -----

// A runtime kernel's result, cast to its static shape, becomes a planned
// buffer it writes through its _out entry; the declaration nothing calls
// any more goes.
// CHECK-NOT: func.func private @coopt_rt_mlir_qs8_gemm(
// CHECK: func.func private @coopt_rt_mlir_qs8_gemm_out(memref<?xi8>, memref<?x?xi8>, memref<?x?xi8>) attributes {llvm.emit_c_interface}
// CHECK-NOT: func.func private @coopt_rt_mlir_qs8_gemm(
// CHECK-LABEL: func.func @kernel
// CHECK-SAME: coopt.arena = {buffers = 1 : i64, bytes = 64 : i64, placement = "stack", unplanned_bytes = 16 : i64}
// CHECK: %[[VIEW:.*]] = memref.view %{{.*}}[%{{.*}}][] : memref<64xi8> to memref<2x8xi8>
// CHECK: %[[DYN:.*]] = memref.cast %[[VIEW]] : memref<2x8xi8> to memref<?x?xi8>
// CHECK: call @coopt_rt_mlir_qs8_gemm_out(%{{.*}}, %{{.*}}, %[[DYN]]) {coopt.kernel = {kind = "dense int8"}} : (memref<?xi8>, memref<?x?xi8>, memref<?x?xi8>) -> ()
// CHECK: memref.copy %[[VIEW]], %{{.*}} : memref<2x8xi8> to memref<2x8xi8>
// NOKERNEL: func.func private @coopt_rt_mlir_qs8_gemm(
// NOKERNEL-LABEL: func.func @kernel
// NOKERNEL-NOT: coopt.arena
// NOKERNEL: call @coopt_rt_mlir_qs8_gemm(
func.func private @coopt_rt_mlir_qs8_gemm(memref<?xi8>, memref<?x?xi8>) -> memref<?x?xi8> attributes {llvm.emit_c_interface}
func.func @kernel(%blob: memref<64xi8>, %x: memref<2x4xi8>, %out: memref<2x8xi8>) {
  %b = memref.cast %blob : memref<64xi8> to memref<?xi8>
  %a = memref.cast %x : memref<2x4xi8> to memref<?x?xi8>
  %r = call @coopt_rt_mlir_qs8_gemm(%b, %a) {coopt.kernel = {kind = "dense int8"}} : (memref<?xi8>, memref<?x?xi8>) -> memref<?x?xi8>
  %s = memref.cast %r : memref<?x?xi8> to memref<2x8xi8>
  memref.copy %s, %out : memref<2x8xi8> to memref<2x8xi8>
  return
}
