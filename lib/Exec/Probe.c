#include "Exec/Probe.h"
#include "IR/Build.h"
#include "Support/Support.h"

#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdlib.h>
#include <string.h>

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static MlirBlock entry_block(MlirOperation fn) { return mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0)); }

/* Where a value lives: argument `arg` (op_index < 0) or result `result` of
 * the op at position `op_index` of the entry block. */
typedef struct value_ref {
  int64_t op_index;
  intptr_t result;
  intptr_t arg;
} value_ref;

static bool locate(MlirBlock block, MlirValue v, value_ref *r, char *err, size_t err_size) {
  if (mlirValueIsABlockArgument(v)) {
    if (!mlirBlockEqual(mlirBlockArgumentGetOwner(v), block)) {
      snprintf(err, err_size, "a probed value is an argument of a nested block");
      return false;
    }
    r->op_index = -1;
    r->arg = mlirBlockArgumentGetArgNumber(v);
    return true;
  }
  MlirOperation owner = mlirOpResultGetOwner(v);
  if (!mlirBlockEqual(mlirOperationGetBlock(owner), block)) {
    snprintf(err, err_size, "a probed value is defined inside a nested region");
    return false;
  }
  int64_t i = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op), ++i)
    if (mlirOperationEqual(op, owner)) {
      r->op_index = i;
      r->result = mlirOpResultGetResultNumber(v);
      return true;
    }
  snprintf(err, err_size, "internal error: a probed value's op is not in the entry block");
  return false;
}

static MlirValue find_again(MlirBlock block, const value_ref *r) {
  if (r->op_index < 0)
    return mlirBlockGetArgument(block, r->arg);
  MlirOperation op = mlirBlockGetFirstOperation(block);
  for (int64_t i = 0; i < r->op_index; ++i)
    op = mlirOperationGetNextInBlock(op);
  return mlirOperationGetResult(op, r->result);
}

/* Every constant that remembers the values compression started from gets
 * them back. */
static void restore_references(MlirOperation module) {
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation f = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(f);
       f = mlirOperationGetNextInBlock(f)) {
    if (mlirOperationGetNumRegions(f) == 0)
      continue;
    MlirBlock b = mlirRegionGetFirstBlock(mlirOperationGetRegion(f, 0));
    if (mlirBlockIsNull(b))
      continue;
    for (MlirOperation op = mlirBlockGetFirstOperation(b); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      MlirAttribute ref = mlirOperationGetDiscardableAttributeByName(op, S("coopt.reference"));
      if (mlirAttributeIsNull(ref) || !cooptOpIs(op, "tosa.const"))
        continue;
      /* Back to the float model: what compression claimed is not true of it. */
      mlirOperationSetAttributeByName(op, S("values"), ref);
      mlirOperationRemoveDiscardableAttributeByName(op, S("coopt.reference"));
      mlirOperationRemoveDiscardableAttributeByName(op, S("coopt.structure"));
    }
  }
}

/* Samples are laid out one after the other: the leading dimensions of size
 * 1 aside, the first dimension counts the batch (a multiple of it, e.g. the
 * rows of a [1, batch * rows, c] matmul operand). */
static bool sample_major(MlirType t, int64_t batch) {
  if (batch == 1)
    return true;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d) {
    int64_t n = mlirShapedTypeGetDimSize(t, d);
    if (n != 1)
      return n % batch == 0;
  }
  return false;
}

static int64_t per_sample_elements(MlirType t, int64_t batch) {
  int64_t n = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); ++d)
    n *= mlirShapedTypeGetDimSize(t, d);
  return n / batch;
}

/* Prepare and JIT-compile p->clone, allocate the buffers. */
static bool compile(coopt_probe *p, coopt_probe_prepare prepare, void *prepare_data, char *err, size_t err_size) {
  if (prepare && !prepare(p->clone, prepare_data, err, err_size))
    return false;
  MlirContext ctx = mlirModuleGetContext(p->clone);
  if (!(p->compiled = cooptJitCompile(ctx, p->clone, 2, &p->jit, err, err_size)))
    return false;
  p->buffers = coopt_xcalloc((size_t)p->jit.num_outputs, sizeof *p->buffers);
  for (int i = 0; i < p->jit.num_outputs; ++i)
    p->buffers[i] =
        coopt_xmalloc((size_t)cooptTensorElements(&p->jit.outputs[i]) * cooptDtypeSize(p->jit.outputs[i].dtype));
  p->input = coopt_xmalloc((size_t)(p->batch * p->per_sample) * sizeof(float));
  return true;
}

/* The index of v among outs[0..m), or -1. */
static intptr_t find_value(const MlirValue *outs, intptr_t m, MlirValue v) {
  for (intptr_t i = 0; i < m; ++i)
    if (mlirValueEqual(outs[i], v))
      return i;
  return -1;
}

/* The entry block of @entry, or a null block and the message. */
static MlirBlock probe_entry(MlirOperation module, const char *entry, char *err, size_t err_size) {
  MlirOperation fn = cooptFindFunc(module, entry);
  if (mlirOperationIsNull(fn)) {
    snprintf(err, err_size, "the module has no func.func @%s to run", entry);
    return (MlirBlock){NULL};
  }
  return entry_block(fn);
}

/* The slot of v among the clone's results outs[0..*m): a value already
 * returned is read from that result (returning one tensor twice breaks
 * buffer-results-to-out-params).  -1 past the JIT's result limit. */
static int output_slot(MlirValue *outs, intptr_t *m, MlirValue v, int num_values, char *err, size_t err_size) {
  intptr_t dup = find_value(outs, *m, v);
  if (dup >= 0)
    return (int)dup;
  if (*m == COOPT_MAX_IO) {
    snprintf(err, err_size, "%d probed values exceed the %d results the JIT supports", num_values, COOPT_MAX_IO);
    return -1;
  }
  outs[*m] = v;
  return (int)(*m)++;
}

/* The type attribute of a function from `in` to the types of outs[0..m). */
static MlirAttribute function_type_of(MlirContext ctx, MlirType in, const MlirValue *outs, intptr_t m) {
  MlirType out_types[COOPT_MAX_IO];
  for (intptr_t i = 0; i < m; ++i)
    out_types[i] = mlirValueGetType(outs[i]);
  return mlirTypeAttrGet(mlirFunctionTypeGet(ctx, 1, &in, m, out_types));
}

/* The end of both constructors once p->clone returns m values: compile it,
 * unless only the input was asked for. */
static bool probe_finish(coopt_probe *p, bool ok, intptr_t m, coopt_probe_prepare prepare, void *prepare_data,
                         char *err, size_t err_size) {
  if (ok && m == 0) {
    p->input = coopt_xmalloc((size_t)(p->batch * p->per_sample) * sizeof(float));
    return true;
  }
  if (!ok || !compile(p, prepare, prepare_data, err, err_size)) {
    cooptProbeDestroy(p);
    return false;
  }
  return true;
}

/* The model's input type into *in_type: one static f32 tensor [batch, ...]. */
static bool model_input(MlirBlock block, MlirType *in_type, char *err, size_t err_size) {
  if (mlirBlockGetNumArguments(block) != 1 || !cooptIsF32Tensor(mlirValueGetType(mlirBlockGetArgument(block, 0))) ||
      mlirShapedTypeGetRank(mlirValueGetType(mlirBlockGetArgument(block, 0))) < 1) {
    snprintf(err, err_size, "needs a model with one f32 input [batch, ...]");
    return false;
  }
  *in_type = mlirValueGetType(mlirBlockGetArgument(block, 0));
  if (!mlirShapedTypeHasStaticShape(*in_type)) {
    snprintf(err, err_size, "needs a model with a static input shape");
    return false;
  }
  return true;
}

/* Where each probed value lives (refs), so that it can be found again in
 * the clone, and its elements per sample. */
static bool locate_values(coopt_probe *p, MlirBlock block, const MlirValue *values, value_ref *refs, char *err,
                          size_t err_size) {
  for (int k = 0; k < p->num_values; ++k) {
    MlirType t = mlirValueGetType(values[k]);
    if (!cooptIsF32Tensor(t) || !mlirShapedTypeHasStaticShape(t) || !sample_major(t, p->batch)) {
      snprintf(err, err_size, "a probed value is not a static f32 tensor laid out sample after sample");
      return false;
    }
    p->elements[k] = per_sample_elements(t, p->batch);
    if (!locate(block, values[k], &refs[k], err, err_size))
      return false;
  }
  return true;
}

/* p->clone: the module to probe (with the reference values back when asked
 * for), its entry function renamed @main, which the JIT calls. */
static MlirOperation clone_for_probe(coopt_probe *p, MlirOperation module, const char *entry, unsigned flags) {
  MlirContext ctx = mlirOperationGetContext(module);
  MlirOperation clone_op = mlirOperationClone(module);
  p->clone = mlirModuleFromOperation(clone_op);
  if (flags & COOPT_PROBE_REFERENCE)
    restore_references(clone_op);
  MlirOperation cfn = cooptFindFunc(clone_op, entry);
  if (strcmp(entry, "main") != 0) {
    MlirOperation other = cooptFindFunc(clone_op, "main");
    if (!mlirOperationIsNull(other))
      mlirOperationSetAttributeByName(other, S("sym_name"), mlirStringAttrGet(ctx, S("coopt_probe_shadowed_main")));
    mlirOperationSetAttributeByName(cfn, S("sym_name"), mlirStringAttrGet(ctx, S("main")));
  }
  return cfn;
}

bool cooptProbeCreate(MlirOperation module, const char *entry, const MlirValue *values, int num_values, unsigned flags,
                      coopt_probe_prepare prepare, void *prepare_data, coopt_probe *p, char *err, size_t err_size) {
  memset(p, 0, sizeof *p);
  MlirBlock block = probe_entry(module, entry, err, err_size);
  MlirType in_type;
  if (mlirBlockIsNull(block) || !model_input(block, &in_type, err, err_size))
    return false;
  p->batch = mlirShapedTypeGetDimSize(in_type, 0);
  p->per_sample = per_sample_elements(in_type, p->batch);
  p->num_values = num_values;
  p->output = coopt_xcalloc((size_t)num_values + 1, sizeof *p->output);
  p->elements = coopt_xcalloc((size_t)num_values + 1, sizeof *p->elements);
  value_ref *refs = coopt_xcalloc((size_t)num_values + 1, sizeof *refs);
  if (!locate_values(p, block, values, refs, err, err_size)) {
    free(refs);
    cooptProbeDestroy(p);
    return false;
  }

  MlirOperation cfn = clone_for_probe(p, module, entry, flags);
  MlirBlock cblock = entry_block(cfn);
  MlirOperation ret = mlirBlockGetTerminator(cblock);
  MlirValue outs[COOPT_MAX_IO];
  intptr_t m = 0;
  if (flags & COOPT_PROBE_KEEP_RESULTS) {
    intptr_t nret = mlirOperationGetNumOperands(ret);
    if (nret > COOPT_MAX_IO)
      nret = COOPT_MAX_IO;
    for (intptr_t i = 0; i < nret; ++i)
      outs[m++] = mlirOperationGetOperand(ret, i);
    p->num_results = (int)m;
  }
  bool ok = true;
  for (int k = 0; k < num_values && ok; ++k) {
    p->output[k] =
        refs[k].op_index < 0 ? -1 : output_slot(outs, &m, find_again(cblock, &refs[k]), num_values, err, err_size);
    ok = refs[k].op_index < 0 || p->output[k] >= 0;
  }
  free(refs);
  if (ok && m > 0) {
    mlirOperationSetOperands(ret, m, outs);
    mlirOperationSetAttributeByName(cfn, S("function_type"),
                                    function_type_of(mlirOperationGetContext(module), in_type, outs, m));
    mlirOperationRemoveAttributeByName(cfn, S("res_attrs"));
    /* What no probed value needs is not compiled (or run). */
    cooptEraseDeadTosa(cblock);
  }
  return probe_finish(p, ok, m, prepare, prepare_data, err, err_size);
}

/* ---- segments ---- */

typedef struct op_set {
  MlirOperation *ops;
  size_t count, cap;
} op_set;

static bool op_set_has(const op_set *s, MlirOperation op) {
  for (size_t i = 0; i < s->count; ++i)
    if (mlirOperationEqual(s->ops[i], op))
      return true;
  return false;
}

/* Collect into s the ops `v` needs, stopping at `from`.  False when v
 * depends on a block argument other than through `from`. */
static bool backward_slice(MlirValue v, MlirValue from, MlirBlock block, op_set *s, int depth) {
  if (mlirValueEqual(v, from))
    return true;
  if (!mlirValueIsAOpResult(v) || depth > 4096)
    return false;
  MlirOperation def = mlirOpResultGetOwner(v);
  if (!mlirBlockEqual(mlirOperationGetBlock(def), block) || mlirOperationGetNumRegions(def) > 0)
    return false;
  if (op_set_has(s, def))
    return true;
  if (s->count == s->cap) {
    s->cap = s->cap ? 2 * s->cap : 32;
    s->ops = coopt_xrealloc(s->ops, s->cap * sizeof *s->ops);
  }
  s->ops[s->count++] = def;
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(def); ++i)
    if (!backward_slice(mlirOperationGetOperand(def, i), from, block, s, depth + 1))
      return false;
  return true;
}

typedef struct value_map {
  MlirValue *from, *to;
  size_t count, cap;
} value_map;

static void map_add(value_map *m, MlirValue a, MlirValue b) {
  if (m->count == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 64;
    m->from = coopt_xrealloc(m->from, m->cap * sizeof *m->from);
    m->to = coopt_xrealloc(m->to, m->cap * sizeof *m->to);
  }
  m->from[m->count] = a;
  m->to[m->count++] = b;
}

static MlirValue map_get(const value_map *m, MlirValue a) {
  for (size_t i = m->count; i-- > 0;)
    if (mlirValueEqual(m->from[i], a))
      return m->to[i];
  return a;
}

/* p->batch and p->per_sample of a segment starting at `from`. */
static bool segment_input(coopt_probe *p, MlirBlock block, MlirValue from, char *err, size_t err_size) {
  if (mlirBlockGetNumArguments(block) != 1) {
    snprintf(err, err_size, "needs a model with one f32 input [batch, ...]");
    return false;
  }
  MlirType model_in = mlirValueGetType(mlirBlockGetArgument(block, 0)), from_type = mlirValueGetType(from);
  if (!mlirShapedTypeHasStaticShape(model_in) || !cooptIsF32Tensor(from_type) ||
      !mlirShapedTypeHasStaticShape(from_type)) {
    snprintf(err, err_size, "not a segment: the model or the segment input is not statically shaped f32");
    return false;
  }
  p->batch = mlirShapedTypeGetDimSize(model_in, 0);
  if (!sample_major(from_type, p->batch)) {
    snprintf(err, err_size, "not a segment: its input is not laid out sample after sample");
    return false;
  }
  p->per_sample = per_sample_elements(from_type, p->batch);
  return true;
}

/* A block taking `from` with the ops of slice cloned into it in program
 * order; map takes the model's values to the clones'. */
static MlirBlock clone_slice(MlirBlock block, const op_set *slice, MlirValue from, MlirLocation loc, value_map *map) {
  MlirType from_type = mlirValueGetType(from);
  MlirBlock fblock = mlirBlockCreate(1, &from_type, &loc);
  map_add(map, from, mlirBlockGetArgument(fblock, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!op_set_has(slice, op))
      continue;
    MlirOperation c = mlirOperationClone(op);
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(c); ++i)
      mlirOperationSetOperand(c, i, map_get(map, mlirOperationGetOperand(op, i)));
    mlirBlockAppendOwnedOperation(fblock, c);
    for (intptr_t r = 0; r < mlirOperationGetNumResults(op); ++r)
      map_add(map, mlirOperationGetResult(op, r), mlirOperationGetResult(c, r));
  }
  return fblock;
}

/* A module of its own: func @main(%from) -> outs, with fblock as its body. */
static MlirModule segment_module(MlirContext ctx, MlirLocation loc, MlirBlock fblock, MlirType from_type,
                                 const MlirValue *outs, intptr_t m) {
  MlirModule seg = mlirModuleCreateEmpty(loc);
  MlirRegion region = mlirRegionCreate();
  mlirRegionAppendOwnedBlock(region, fblock);
  MlirOperationState rs = mlirOperationStateGet(S("func.return"), loc);
  mlirOperationStateAddOperands(&rs, m, outs);
  mlirBlockAppendOwnedOperation(fblock, mlirOperationCreate(&rs));
  MlirOperationState fs = mlirOperationStateGet(S("func.func"), loc);
  MlirNamedAttribute attrs[2] = {
      mlirNamedAttributeGet(mlirIdentifierGet(ctx, S("sym_name")), mlirStringAttrGet(ctx, S("main"))),
      mlirNamedAttributeGet(mlirIdentifierGet(ctx, S("function_type")), function_type_of(ctx, from_type, outs, m))};
  mlirOperationStateAddAttributes(&fs, 2, attrs);
  mlirOperationStateAddOwnedRegions(&fs, 1, &region);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(seg), mlirOperationCreate(&fs));
  return seg;
}

bool cooptProbeCreateSegment(MlirOperation module, const char *entry, MlirValue from, const MlirValue *values,
                             int num_values, coopt_probe_prepare prepare, void *prepare_data, coopt_probe *p, char *err,
                             size_t err_size) {
  memset(p, 0, sizeof *p);
  MlirBlock block = probe_entry(module, entry, err, err_size);
  if (mlirBlockIsNull(block) || !segment_input(p, block, from, err, err_size))
    return false;
  op_set slice = {0};
  bool ok = true;
  for (int k = 0; k < num_values && ok; ++k) {
    MlirType t = mlirValueGetType(values[k]);
    ok = cooptIsF32Tensor(t) && mlirShapedTypeHasStaticShape(t) && sample_major(t, p->batch) &&
         backward_slice(values[k], from, block, &slice, 0);
  }
  if (!ok) {
    free(slice.ops);
    snprintf(err, err_size, "not a segment: the values depend on more than the segment input");
    return false;
  }
  p->num_values = num_values;
  p->output = coopt_xcalloc((size_t)num_values + 1, sizeof *p->output);
  p->elements = coopt_xcalloc((size_t)num_values + 1, sizeof *p->elements);

  MlirLocation loc = mlirOperationGetLocation(cooptFindFunc(module, entry));
  value_map map = {0};
  MlirBlock fblock = clone_slice(block, &slice, from, loc, &map);
  MlirValue outs[COOPT_MAX_IO];
  intptr_t m = 0;
  for (int k = 0; k < num_values && ok; ++k) {
    p->elements[k] = per_sample_elements(mlirValueGetType(values[k]), p->batch);
    p->output[k] = mlirValueEqual(values[k], from)
                       ? -1
                       : output_slot(outs, &m, map_get(&map, values[k]), num_values, err, err_size);
    ok = mlirValueEqual(values[k], from) || p->output[k] >= 0;
  }
  free(map.from);
  free(map.to);
  free(slice.ops);
  p->clone = segment_module(mlirOperationGetContext(module), loc, fblock, mlirValueGetType(from), outs, m);
  return probe_finish(p, ok, m, prepare, prepare_data, err, err_size);
}

bool cooptProbeRun(coopt_probe *p, const float *samples, int64_t count) {
  size_t per = (size_t)p->per_sample;
  memset(p->input, 0, (size_t)p->batch * per * sizeof(float));
  memcpy(p->input, samples, (size_t)count * per * sizeof(float));
  if (!p->compiled)
    return true;
  void *in[1] = {p->input};
  return cooptJitRun(&p->jit, in, p->buffers);
}

const float *cooptProbeValue(const coopt_probe *p, int k) {
  return p->output[k] < 0 ? p->input : (const float *)p->buffers[p->output[k]];
}

const void *cooptProbeResult(const coopt_probe *p, int i) { return p->buffers[i]; }

void cooptProbeDestroy(coopt_probe *p) {
  if (p->compiled)
    cooptJitDestroy(&p->jit);
  if (p->buffers)
    for (int i = 0; i < p->jit.num_outputs; ++i)
      free(p->buffers[i]);
  free(p->buffers);
  if (!mlirModuleIsNull(p->clone))
    mlirModuleDestroy(p->clone);
  free(p->output);
  free(p->elements);
  free(p->input);
  memset(p, 0, sizeof *p);
}
