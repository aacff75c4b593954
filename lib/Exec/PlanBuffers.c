/*
 * coopt-plan-buffers: one arena per function instead of an allocation per
 * intermediate (PlanBuffers.h).
 *
 * After One-Shot Bufferize every tensor result is a memref.alloc placed
 * before its first writer, and the runtime kernels return buffers they
 * malloc themselves; the deallocation pipeline then frees each one.  That
 * is a malloc/free pair per layer and per kernel call on every inference,
 * and the peak memory is whatever glibc makes of it.  TFLite's arena
 * planner and IREE's stream allocator show the alternative: the lifetimes
 * are known at compile time, so each buffer gets a fixed offset in one
 * block, buffers that are never live at the same time share bytes, and the
 * block's size is known before the first inference.
 *
 * Lifetimes are measured in positions of the function's top-level block: a
 * buffer is live from the first op that reads or writes it (through any
 * view of it) to the last.  Two buffers may share bytes only when no op
 * touches both while both are live.  Offsets are assigned greedily, largest
 * first, each at the lowest 64-byte aligned offset that does not collide
 * with a placed buffer whose lifetime overlaps (TFLite's "greedy by size").
 */
#include "Exec/PlanBuffers.h"
#include "IR/Build.h"
#include "Support/Support.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_ALIGN = 64 };

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static int64_t align_up(int64_t v) { return (v + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN; }

/* Ops whose result is another view of their first operand's memory. */
static bool is_view(MlirOperation op) {
  static const char *const names[] = {"memref.cast",           "memref.subview",          "memref.expand_shape",
                                      "memref.collapse_shape", "memref.reinterpret_cast", "memref.view"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (cooptOpIs(op, names[i]))
      return true;
  return false;
}

/* The symbol a func.call calls; an empty name for any other op. */
static MlirStringRef callee_of(MlirOperation op) {
  MlirAttribute callee = mlirOperationGetAttributeByName(op, S("callee"));
  if (!cooptOpIs(op, "func.call") || mlirAttributeIsNull(callee) || !mlirAttributeIsAFlatSymbolRef(callee))
    return mlirStringRefCreate(NULL, 0);
  return mlirFlatSymbolRefAttrGetValue(callee);
}

/* The runtime's entries for compiled code (runtime/src/mlir_entry.c). */
static bool is_runtime_kernel(MlirStringRef name) {
  static const char prefix[] = "coopt_rt_mlir_";
  return name.length > sizeof prefix - 1 && strncmp(name.data, prefix, sizeof prefix - 1) == 0;
}

static bool is_runtime_kernel_call(MlirOperation op) { return is_runtime_kernel(callee_of(op)); }

/* Bytes of a statically shaped memref with the identity layout, in the
 * default memory space, of whole-byte elements; 0 for anything else. */
static int64_t static_bytes(MlirType t) {
  if (!mlirTypeIsAMemRef(t) || !mlirShapedTypeHasStaticShape(t) ||
      !mlirAffineMapIsIdentity(mlirMemRefTypeGetAffineMap(t)) || !mlirAttributeIsNull(mlirMemRefTypeGetMemorySpace(t)))
    return 0;
  MlirType e = mlirShapedTypeGetElementType(t);
  unsigned bits = mlirTypeIsAInteger(e) ? mlirIntegerTypeGetWidth(e)
                  : mlirTypeIsAFloat(e) ? mlirFloatTypeGetWidth(e)
                                        : 0;
  if (bits == 0 || bits % 8)
    return 0;
  int64_t n = bits / 8;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d)
    n *= mlirShapedTypeGetDimSize(t, d);
  return n;
}

/* ---- kernel calls into caller buffers ---- */

/* Declare @<name>_out(args..., result type) -> () at the top of the module. */
static void declare_out(MlirOperation module, MlirOperation call, const char *out_name) {
  if (!mlirOperationIsNull(cooptFindSymbol(module, out_name)))
    return;
  coopt_buf text;
  coopt_buf_init(&text);
  coopt_buf_printf(&text, "func.func private @%s(", out_name);
  intptr_t n = mlirOperationGetNumOperands(call);
  for (intptr_t i = 0; i <= n; ++i) {
    MlirType t = i < n ? mlirValueGetType(mlirOperationGetOperand(call, i)) : mlirValueGetType(cooptResult(call));
    if (i)
      coopt_buf_printf(&text, ", ");
    mlirTypePrint(t, coopt_buf_string_callback, &text);
  }
  coopt_buf_printf(&text, ") attributes {llvm.emit_c_interface}");
  MlirOperation decl = mlirOperationCreateParse(mlirOperationGetContext(module), S(text.data), S("coopt-plan-buffers"));
  coopt_buf_free(&text);
  if (mlirOperationIsNull(decl)) {
    fprintf(stderr, "coopt: internal error: cannot declare @%s\n", out_name);
    abort();
  }
  mlirBlockInsertOwnedOperation(mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0)), 0, decl);
}

/* %r = call @coopt_rt_mlir_K(args) -> memref<?x..>; %s = memref.cast %r to
 * memref<static> becomes %s = memref.alloc; call @coopt_rt_mlir_K_out(args,
 * cast of %s).  Only where the static shape is that one cast's: the runtime
 * entry checks the buffer's sizes against the kernel's result.  Returns the
 * new call (the old call and its cast are destroyed), or a null op. */
static MlirOperation kernel_in_place(MlirOperation module, MlirOperation call) {
  const MlirOperation none = {NULL};
  if (!is_runtime_kernel_call(call) || mlirOperationGetNumResults(call) != 1)
    return none;
  MlirOperation cast = cooptSoleUser(cooptResult(call));
  if (mlirOperationIsNull(cast) || !cooptOpIs(cast, "memref.cast"))
    return none;
  MlirType static_type = mlirValueGetType(cooptResult(cast));
  if (static_bytes(static_type) == 0)
    return none;
  MlirContext ctx = mlirOperationGetContext(call);
  MlirStringRef callee = callee_of(call);
  char out_name[128];
  snprintf(out_name, sizeof out_name, "%.*s_out", (int)callee.length, callee.data);
  declare_out(module, call, out_name);

  coopt_builder b = cooptBuilderBefore(call);
  MlirNamedAttribute align = cooptNamedAttr(ctx, "alignment", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), 64));
  MlirOperation alloc = cooptBuildOp(&b, "memref.alloc", 0, NULL, static_type, 1, &align);
  MlirValue buffer = cooptResult(alloc);
  MlirOperation dyn = cooptBuildOp(&b, "memref.cast", 1, &buffer, mlirValueGetType(cooptResult(call)), 0, NULL);

  intptr_t n = mlirOperationGetNumOperands(call);
  MlirValue operands[8];
  if (n + 1 > (intptr_t)(sizeof operands / sizeof operands[0]))
    abort(); /* the runtime's entries take a blob and one input */
  for (intptr_t i = 0; i < n; ++i)
    operands[i] = mlirOperationGetOperand(call, i);
  operands[n] = cooptResult(dyn);
  MlirOperationState st = mlirOperationStateGet(S("func.call"), mlirOperationGetLocation(call));
  mlirOperationStateAddOperands(&st, n + 1, operands);
  MlirNamedAttribute attrs[2] = {cooptNamedAttr(ctx, "callee", mlirFlatSymbolRefAttrGet(ctx, S(out_name)))};
  intptr_t num_attrs = 1;
  MlirAttribute kernel = mlirOperationGetAttributeByName(call, S("coopt.kernel"));
  if (!mlirAttributeIsNull(kernel))
    attrs[num_attrs++] = cooptNamedAttr(ctx, "coopt.kernel", kernel);
  mlirOperationStateAddAttributes(&st, num_attrs, attrs);
  MlirOperation out_call = mlirOperationCreate(&st);
  mlirBlockInsertOwnedOperationBefore(b.block, call, out_call);

  mlirValueReplaceAllUsesOfWith(cooptResult(cast), buffer);
  mlirOperationDestroy(cast);
  mlirOperationDestroy(call);
  return out_call;
}

/* ---- lifetimes ---- */

typedef struct top_op {
  const void *ptr;
  size_t index;
} top_op;

static int by_ptr(const void *x, const void *y) {
  const uintptr_t a = (uintptr_t)((const top_op *)x)->ptr, b = (uintptr_t)((const top_op *)y)->ptr;
  return a < b ? -1 : a > b;
}

typedef struct plan_ctx {
  MlirOperation func;
  top_op *tops; /* the block's ops sorted by address */
  size_t num_tops;
} plan_ctx;

/* The position in the function's top-level block of the op containing op. */
static bool position_of(const plan_ctx *p, MlirOperation op, size_t *index) {
  for (;;) {
    MlirOperation parent = mlirOperationGetParentOperation(op);
    if (mlirOperationIsNull(parent))
      return false;
    if (mlirOperationEqual(parent, p->func))
      break;
    op = parent;
  }
  top_op key = {op.ptr, 0};
  const top_op *hit = bsearch(&key, p->tops, p->num_tops, sizeof *p->tops, by_ptr);
  if (!hit)
    return false;
  *index = hit->index;
  return true;
}

typedef struct buffer {
  MlirOperation alloc;
  int64_t bytes, offset;
  size_t first, last, order;
  bool used;
} buffer;

/* Whether `use` is an output operand of a linalg op that accumulates into
 * it (a reduction dimension: convolutions, matmuls, pooling, a generic with
 * a "reduction" iterator).  LLVM keeps such an accumulator in a register
 * only where it can prove the output aliases none of the inputs; separate
 * allocations prove it (malloc's result aliases nothing), views of one
 * arena hide it, and the upstream int8 convolutions of the bundled models
 * ran 6-11x slower with their outputs in the arena.  Those outputs keep
 * their own allocation. */
static bool accumulates_into(MlirOperation owner, MlirOpOperand use) {
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(owner));
  if (name.length < 7 || strncmp(name.data, "linalg.", 7) != 0)
    return false;
  MlirAttribute segments = mlirOperationGetAttributeByName(owner, S("operandSegmentSizes"));
  if (mlirAttributeIsNull(segments) || !mlirAttributeIsADenseI32Array(segments) ||
      mlirDenseArrayGetNumElements(segments) < 2 ||
      (intptr_t)mlirOpOperandGetOperandNumber(use) < mlirDenseI32ArrayGetElement(segments, 0))
    return false; /* an input */
  MlirAttribute iterators = mlirOperationGetAttributeByName(owner, S("iterator_types"));
  if (!mlirAttributeIsNull(iterators)) {
    coopt_buf text;
    coopt_buf_init(&text);
    mlirAttributePrint(iterators, coopt_buf_string_callback, &text);
    const bool reduces = text.data && strstr(text.data, "reduction");
    coopt_buf_free(&text);
    return reduces;
  }
  static const char *const reducing[] = {"conv", "matmul", "matvec", "vecmat", "pooling", "reduce", "dot", "contract"};
  for (size_t i = 0; i < sizeof reducing / sizeof reducing[0]; ++i)
    for (size_t at = 7; at + strlen(reducing[i]) <= name.length; ++at)
      if (strncmp(name.data + at, reducing[i], strlen(reducing[i])) == 0)
        return true;
  return false;
}

/* Widen b's lifetime by every use of v and of the views of v; false when
 * the memory may be reached otherwise than through them (returned, yielded,
 * passed to an unknown call, or aliased by an op that is not a view), or
 * when it is a reduction's output (accumulates_into). */
static bool track_uses(const plan_ctx *p, MlirValue v, buffer *b) {
  for (MlirOpOperand use = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(use); use = mlirOpOperandGetNextUse(use)) {
    MlirOperation owner = mlirOpOperandGetOwner(use);
    if (is_view(owner) && mlirOpOperandGetOperandNumber(use) == 0) {
      for (intptr_t r = 0; r < mlirOperationGetNumResults(owner); ++r)
        if (!track_uses(p, mlirOperationGetResult(owner, r), b))
          return false;
      continue;
    }
    if (cooptOpIs(owner, "func.return") || (cooptOpIs(owner, "func.call") && !is_runtime_kernel_call(owner)) ||
        accumulates_into(owner, use))
      return false;
    if (!is_runtime_kernel_call(owner))
      for (intptr_t r = 0; r < mlirOperationGetNumResults(owner); ++r) {
        MlirType t = mlirValueGetType(mlirOperationGetResult(owner, r));
        if (mlirTypeIsAMemRef(t) || mlirTypeIsAUnrankedMemRef(t) || mlirTypeIsATensor(t))
          return false;
      }
    size_t at;
    if (!position_of(p, owner, &at))
      return false;
    if (!b->used || at < b->first)
      b->first = at;
    if (!b->used || at > b->last)
      b->last = at;
    b->used = true;
  }
  return true;
}

/* Largest first; equal sizes in the order they become live, then in the
 * block's order, so the plan does not depend on anything but the IR. */
static int by_size(const void *x, const void *y) {
  const buffer *a = *(const buffer *const *)x, *b = *(const buffer *const *)y;
  if (a->bytes != b->bytes)
    return a->bytes > b->bytes ? -1 : 1;
  if (a->first != b->first)
    return a->first < b->first ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

static bool lifetimes_overlap(const buffer *a, const buffer *b) { return a->first <= b->last && b->first <= a->last; }

/* Greedy by size; returns the arena's size. */
static int64_t assign_offsets(buffer *bufs, size_t n) {
  buffer **order = malloc((n ? n : 1) * sizeof *order), **live = malloc((n ? n : 1) * sizeof *live);
  for (size_t i = 0; i < n; ++i)
    order[i] = &bufs[i];
  qsort(order, n, sizeof *order, by_size);
  int64_t total = 0;
  for (size_t i = 0; i < n; ++i) {
    buffer *b = order[i];
    /* The placed buffers live at the same time as b (few, whatever the
     * function's size); candidates are 0 and their aligned ends, and the
     * lowest that collides with none of them wins. */
    size_t nlive = 0;
    for (size_t j = 0; j < i; ++j)
      if (lifetimes_overlap(order[j], b))
        live[nlive++] = order[j];
    int64_t best = -1;
    for (size_t c = 0; c <= nlive; ++c) {
      const int64_t at = c == nlive ? 0 : align_up(live[c]->offset + live[c]->bytes);
      if (best >= 0 && at >= best)
        continue;
      bool fits = true;
      for (size_t j = 0; j < nlive && fits; ++j)
        fits = at >= live[j]->offset + live[j]->bytes || live[j]->offset >= at + b->bytes;
      if (fits)
        best = at;
    }
    b->offset = best;
    if (align_up(best + b->bytes) > total)
      total = align_up(best + b->bytes);
  }
  free(live);
  free(order);
  return total;
}

static void plan_function(MlirOperation module, MlirOperation func, const coopt_plan_options *o) {
  MlirRegion body = mlirOperationGetRegion(func, 0);
  MlirBlock block = mlirRegionGetFirstBlock(body);
  if (mlirBlockIsNull(block))
    return; /* a declaration */
  if (o->kernels_in_place) {
    /* The walk goes on from the new call: the rewrite destroys the old one
     * and its cast, which is usually the op right after it. */
    for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);) {
      MlirOperation done = kernel_in_place(module, op);
      op = mlirOperationGetNextInBlock(mlirOperationIsNull(done) ? op : done);
    }
  }

  plan_ctx p = {func, NULL, 0};
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    ++p.num_tops;
  p.tops = malloc((p.num_tops ? p.num_tops : 1) * sizeof *p.tops);
  buffer *bufs = malloc((p.num_tops ? p.num_tops : 1) * sizeof *bufs);
  size_t num_bufs = 0, i = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op), ++i) {
    p.tops[i] = (top_op){op.ptr, i};
    if (!cooptOpIs(op, "memref.alloc") || mlirOperationGetNumOperands(op) != 0)
      continue;
    MlirAttribute align = mlirOperationGetAttributeByName(op, S("alignment"));
    if (!mlirAttributeIsNull(align) &&
        (!mlirAttributeIsAInteger(align) || mlirIntegerAttrGetValueInt(align) > ARENA_ALIGN ||
         ARENA_ALIGN % mlirIntegerAttrGetValueInt(align) != 0))
      continue;
    int64_t bytes = static_bytes(mlirValueGetType(cooptResult(op)));
    if (bytes > 0)
      bufs[num_bufs++] = (buffer){op, bytes, 0, i, i, i, false};
  }
  qsort(p.tops, p.num_tops, sizeof *p.tops, by_ptr);

  /* Lifetimes; what cannot be proven safe keeps its own allocation. */
  size_t kept = 0;
  int64_t separate = 0;
  for (size_t b = 0; b < num_bufs; ++b) {
    buffer t = bufs[b];
    if (!track_uses(&p, cooptResult(t.alloc), &t))
      continue;
    separate += t.bytes;
    bufs[kept++] = t;
  }
  free(p.tops);
  if (kept == 0) {
    free(bufs);
    return;
  }
  const int64_t total = assign_offsets(bufs, kept);

  MlirContext ctx = mlirOperationGetContext(func);
  MlirType i64 = mlirIntegerTypeGet(ctx, 64), index = mlirIndexTypeGet(ctx);
  const bool on_stack = total <= o->max_stack_bytes;
  coopt_builder at_entry = cooptBuilderBefore(mlirBlockGetFirstOperation(block));
  at_entry.loc = mlirOperationGetLocation(func);
  MlirNamedAttribute align = cooptNamedAttr(ctx, "alignment", mlirIntegerAttrGet(i64, ARENA_ALIGN));
  const int64_t shape[1] = {total};
  MlirType arena_type = mlirMemRefTypeContiguousGet(mlirIntegerTypeGet(ctx, 8), 1, shape, mlirAttributeGetNull());
  MlirValue arena =
      cooptResult(cooptBuildOp(&at_entry, on_stack ? "memref.alloca" : "memref.alloc", 0, NULL, arena_type, 1, &align));
  for (size_t b = 0; b < kept; ++b) {
    coopt_builder here = cooptBuilderBefore(bufs[b].alloc);
    MlirNamedAttribute value = cooptNamedAttr(ctx, "value", mlirIntegerAttrGet(index, bufs[b].offset));
    MlirValue operands[2] = {arena, cooptResult(cooptBuildOp(&here, "arith.constant", 0, NULL, index, 1, &value))};
    MlirValue view = cooptResult(
        cooptBuildOp(&here, "memref.view", 2, operands, mlirValueGetType(cooptResult(bufs[b].alloc)), 0, NULL));
    mlirValueReplaceAllUsesOfWith(cooptResult(bufs[b].alloc), view);
    mlirOperationDestroy(bufs[b].alloc);
  }
  MlirNamedAttribute stats[4] = {
      cooptNamedAttr(ctx, "bytes", mlirIntegerAttrGet(i64, total)),
      cooptNamedAttr(ctx, "buffers", mlirIntegerAttrGet(i64, (int64_t)kept)),
      cooptNamedAttr(ctx, "unplanned_bytes", mlirIntegerAttrGet(i64, separate)),
      cooptNamedAttr(ctx, "placement", mlirStringAttrGet(ctx, S(on_stack ? "stack" : "heap"))),
  };
  mlirOperationSetAttributeByName(func, S("coopt.arena"), mlirDictionaryAttrGet(ctx, 4, stats));
  free(bufs);
}

typedef struct symbol_use {
  MlirStringRef name;
  bool used;
} symbol_use;

static MlirWalkResult find_call(MlirOperation op, void *user) {
  symbol_use *u = user;
  if (mlirStringRefEqual(callee_of(op), u->name)) {
    u->used = true;
    return MlirWalkResultInterrupt;
  }
  return MlirWalkResultAdvance;
}

/* Declarations of runtime kernels no call uses any more. */
static void drop_unused_kernel_decls(MlirOperation module) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  MlirOperation op = mlirBlockGetFirstOperation(body);
  while (!mlirOperationIsNull(op)) {
    MlirOperation next = mlirOperationGetNextInBlock(op);
    MlirAttribute name = mlirOperationGetAttributeByName(op, S("sym_name"));
    if (cooptOpIs(op, "func.func") && !mlirAttributeIsNull(name) &&
        mlirBlockIsNull(mlirRegionGetFirstBlock(mlirOperationGetRegion(op, 0)))) {
      symbol_use u = {mlirStringAttrGetValue(name), false};
      if (is_runtime_kernel(u.name)) {
        mlirOperationWalk(module, find_call, &u, MlirWalkPreOrder);
        if (!u.used)
          mlirOperationDestroy(op);
      }
    }
    op = next;
  }
}

static bool plan_function_of_module(MlirOperation func, const void *options) {
  plan_function(mlirOperationGetParentOperation(func), func, options);
  return true;
}

void cooptPlanBuffers(MlirOperation module, const coopt_plan_options *options) {
  cooptForEachFunc(module, plan_function_of_module, options);
  if (options->kernels_in_place)
    drop_unused_kernel_decls(module);
}
