/*
 * Static buffer planning for the JIT/AOT lowering (coopt-plan-buffers): after
 * One-Shot Bufferize, the kernel calls write into buffers the function
 * allocates, and every statically shaped buffer of a function's top-level
 * block (but a reduction's output: PlanBuffers.c) is placed at a fixed
 * offset of one arena, buffers whose lifetimes do not overlap sharing bytes.
 * The arena is one stack allocation up to a size, one heap allocation above
 * it.
 */
#ifndef COOPT_LIB_EXEC_PLANBUFFERS_H
#define COOPT_LIB_EXEC_PLANBUFFERS_H

#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct coopt_plan_options {
  /* Arenas up to this many bytes live on the stack; larger ones are one
   * memref.alloc per call. */
  int64_t max_stack_bytes;
  /* Rewrite the runtime kernel calls (coopt_rt_mlir_*) to write into a
   * buffer of the caller (their _out entry points), so that their results
   * are planned too. */
  bool kernels_in_place;
} coopt_plan_options;

#define COOPT_PLAN_DEFAULT_MAX_STACK (256 * 1024)

/* Plan every func.func with a body in `module` (a builtin.module holding
 * bufferized functions, before buffer deallocation).  Each planned function
 * gets coopt.arena = {bytes, buffers, unplanned_bytes, placement}: the arena's
 * size, how many buffers it holds, the sum of their sizes (what separate
 * allocations would hold at once at most) and "stack" or "heap".  Never
 * fails: a buffer it cannot prove safe to place (an escaping or aliased
 * one, a dynamic shape, one inside a loop) keeps its own allocation. */
void cooptPlanBuffers(MlirOperation module, const coopt_plan_options *options);

#endif
