/*
 * coopt-plan-buffers: the pass form of the buffer planning the JIT and the
 * object emitter run between bufferization and deallocation
 * (lib/Exec/PlanBuffers.h), so that coopt-opt shows and tests what it does
 * on bufferized IR.
 */
#include "Exec/PlanBuffers.h"
#include "coopt/Pass.h"

#include <stddef.h>

typedef struct plan_buffers_options {
  int64_t max_stack;
  bool kernels_in_place;
} plan_buffers_options;

static const coopt_option_info plan_buffers_option_table[] = {
    {"max-stack",
     COOPT_OPT_INT,
     "largest arena, in bytes, placed on the stack (memref.alloca); a larger one is one memref.alloc",
     "262144",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(plan_buffers_options, max_stack)},
    {"kernels-in-place",
     COOPT_OPT_BOOL,
     "make the runtime kernel calls write into planned buffers (their _out entries) instead of returning malloc'd ones",
     "true",
     {0},
     NULL,
     offsetof(plan_buffers_options, kernels_in_place)},
};

static coopt_pass_result run_plan_buffers(MlirOperation module, const void *opaque) {
  const plan_buffers_options *o = opaque;
  const coopt_plan_options plan = {o->max_stack, o->kernels_in_place};
  cooptPlanBuffers(module, &plan);
  return COOPT_PASS_SUCCESS;
}

const coopt_pass_info coopt_plan_buffers_pass = {
    .argument = "coopt-plan-buffers",
    .summary = "Place a bufferized function's buffers in one arena, sharing bytes between buffers not live together",
    .description =
        "Runs on bufferized IR before buffer-deallocation-pipeline (the JIT and --emit=obj run it there). Every "
        "statically shaped memref.alloc of a function's top-level block whose memory is reached only through views "
        "(and is not the output of a reduction, whose loops LLVM vectorizes only on unaliased buffers) becomes a "
        "memref.view of one arena at an offset chosen greedily, largest buffer first, so that buffers "
        "whose lifetimes (first to last op touching them) overlap never share bytes. The arena is a memref.alloca "
        "up to max-stack bytes, else one memref.alloc. Calls to the runtime kernels write into such buffers. The "
        "function gets coopt.arena = {bytes, buffers, unplanned_bytes, placement}.",
    .anchor = "builtin.module",
    .options = plan_buffers_option_table,
    .num_options = sizeof plan_buffers_option_table / sizeof plan_buffers_option_table[0],
    .options_size = sizeof(plan_buffers_options),
    .run = run_plan_buffers,
};
