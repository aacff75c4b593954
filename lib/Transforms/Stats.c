/*
 * coopt-stats: what the weights of a model look like, and what they would
 * cost to store.  An analysis: the IR is not changed.
 *
 * For every constant weight (see Analysis/Weights.h), one row: op, location,
 * shape, element count, zero fraction, distinct values (tensor and max per
 * output channel) and bytes as dense f32, dense int8, sparse (bitmask +
 * int8 nonzeros), palettized (indices + int8 codebook), sparse + palettized
 * (bitmask + indices of the nonzeros) and the deflated size of the dense
 * int8 codes (the whole model as one stream in the total); then totals.  The
 * JSON form is the machine interface that the structure tests check.
 */
#include "Analysis/KernelChoice.h"
#include "Analysis/Quant.h"
#include "Analysis/WeightStats.h"
#include "Analysis/Weights.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct stats_options {
  int format;
  char *output;
  coopt_list ops; /* enum indices into coopt_weight_op_names */
} stats_options;

static const char *const format_values[] = {"table", "json", NULL};
enum { FORMAT_TABLE, FORMAT_JSON };

static const coopt_option_info stats_option_table[] = {
    {"format", COOPT_OPT_ENUM, "report format", "table", {0}, format_values, offsetof(stats_options, format)},
    {"output",
     COOPT_OPT_STRING,
     "where to write the report ('-' = stdout)",
     "-",
     {0},
     NULL,
     offsetof(stats_options, output)},
    {"ops",
     COOPT_OPT_ENUM_LIST,
     "which weight-bearing ops to report",
     "conv2d,depthwise_conv2d,transpose_conv2d,matmul",
     {0},
     coopt_weight_op_names,
     offsetof(stats_options, ops)},
};

static const char *elem_name(coopt_elem_kind k) {
  switch (k) {
  case COOPT_ELEM_F32: return "f32";
  case COOPT_ELEM_F64: return "f64";
  case COOPT_ELEM_F16: return "f16";
  case COOPT_ELEM_BF16: return "bf16";
  case COOPT_ELEM_I8: return "i8";
  case COOPT_ELEM_I16: return "i16";
  case COOPT_ELEM_I32: return "i32";
  }
  return "?";
}

/* "key": integer, the pair every row of the report is made of. */
static void json_int_field(coopt_json *j, const char *key, int64_t v) {
  coopt_json_key(j, key);
  coopt_json_int(j, v);
}

static void bytes_json(coopt_json *j, const coopt_weight_stats *s) {
  coopt_json_key(j, "bytes");
  coopt_json_begin_object(j);
  json_int_field(j, "f32", s->bytes_f32);
  json_int_field(j, "int8", s->bytes_int8);
  json_int_field(j, "sparse", s->bytes_sparse);
  json_int_field(j, "palettized", s->bytes_palettized);
  json_int_field(j, "sparse_palettized", s->bytes_sparse_palettized);
  json_int_field(j, "gzip", s->bytes_gzip);
  coopt_json_end_object(j);
}

/* The int8 codes a deployment would store: the values themselves for an
 * integer weight or one that holds its codes (coopt-fake-quant{exact}), else symmetric per-channel quantization as
 * coopt-fake-quant does it (which maps a fake-quantized weight back to its exact codes). */
static void int8_codes(const coopt_weight *w, const float *v, int8_t *out) {
  int64_t per = w->spatial * w->inner;
  bool integer = w->elem == COOPT_ELEM_I8 || w->elem == COOPT_ELEM_I16 || w->elem == COOPT_ELEM_I32 ||
                 cooptConstHoldsCodes(w->constant);
  for (int64_t r = 0; r < w->rows; ++r) {
    const float *x = v + r * per;
    double m = 0;
    for (int64_t i = 0; i < per; ++i)
      if (isfinite(x[i])) /* counted as non-finite, not scaled by */
        m = fmax(m, fabs((double)x[i]));
    double s = m > 0 ? m / 127.0 : 1.0;
    for (int64_t i = 0; i < per; ++i)
      out[r * per + i] = integer ? (int8_t)(x[i] < -128 ? -128 : x[i] > 127 ? 127 : x[i]) : cooptWeightCode(x[i], s);
  }
}

typedef struct pointwise_kernel {
  bool known;
  coopt_kernel_kind kind;
  size_t bytes;
} pointwise_kernel;

/* The rows of a pointwise conv's GEMM: its input's N*H*W (1 when not static). */
static size_t pointwise_rows(MlirOperation conv) {
  MlirType t = mlirValueGetType(mlirOperationGetOperand(conv, 0));
  if (!mlirTypeIsARankedTensor(t) || mlirShapedTypeGetRank(t) != 4 || !mlirShapedTypeHasStaticShape(t))
    return 1;
  return (size_t)(mlirShapedTypeGetDimSize(t, 0) * mlirShapedTypeGetDimSize(t, 1) * mlirShapedTypeGetDimSize(t, 2));
}

/* The pointwise kernels of the report's weights, decided together as
 * coopt-lower-kernels decides a function's (default options). */
typedef struct pointwise_set {
  coopt_int8_weights *v;
  size_t *m, *index, n;
} pointwise_set;

static void add_pointwise(pointwise_set *ps, size_t index, const int8_t *codes, int64_t n, int64_t k, size_t m) {
  cooptAnalyzeInt8Weights(codes, (size_t)n, (size_t)k, &ps->v[ps->n]);
  ps->m[ps->n] = m, ps->index[ps->n] = index;
  ++ps->n;
}

static void choose_pointwise_kernels(pointwise_set *ps, pointwise_kernel *kernels) {
  coopt_kernel_policy policy = cooptDefaultKernelPolicy();
  const coopt_int8_weights **vp = coopt_xcalloc(ps->n ? ps->n : 1, sizeof *vp);
  coopt_kernel_kind *kinds = coopt_xcalloc(ps->n ? ps->n : 1, sizeof *kinds);
  for (size_t i = 0; i < ps->n; ++i)
    vp[i] = &ps->v[i];
  cooptChooseKernels(&policy, ps->n, vp, ps->m, kinds, NULL);
  for (size_t i = 0; i < ps->n; ++i) {
    kernels[ps->index[i]] = (pointwise_kernel){true, kinds[i], ps->v[i].sizes[kinds[i]]};
    cooptInt8WeightsFree(&ps->v[i]);
  }
  free(vp), free(kinds);
}

/* Bytes after zlib deflate at level 9 (what gzip stores, minus its header). */
static int64_t deflated_size(const int8_t *data, int64_t n) {
  uLongf cap = compressBound((uLong)n);
  Bytef *buf = coopt_xmalloc(cap ? cap : 1);
  int64_t size = compress2(buf, &cap, (const Bytef *)data, (uLong)n, 9) == Z_OK ? (int64_t)cap : n;
  free(buf);
  return size;
}

static void pct(coopt_buf *b, int64_t part, int64_t whole) {
  coopt_buf_printf(b, "%6.2f", whole ? 100.0 * (double)part / (double)whole : 0.0);
}

/* The kernel calls coopt-lower-kernels made (func.call with coopt.kernel),
 * in program order over the module's functions. */
typedef struct kernel_call {
  MlirOperation call;
  char kind[64];
  int64_t bytes, macs; /* macs: -1 when the call does not record it */
  double predicted;    /* the cost model's time, in `unit` on `cpu`; -1 when not recorded */
  char unit[16], cpu[32];
} kernel_call;

static void string_field(MlirAttribute d, const char *name, char *out, size_t size) {
  MlirAttribute a = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString(name));
  MlirStringRef v = !mlirAttributeIsNull(a) && mlirAttributeIsAString(a) ? mlirStringAttrGetValue(a)
                                                                         : mlirStringRefCreateFromCString("");
  snprintf(out, size, "%.*s", (int)v.length, v.data);
}

static size_t collect_kernel_calls(MlirOperation root, kernel_call **out) {
  size_t n = 0, cap = 0;
  *out = NULL;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(root, 0));
  for (MlirOperation fn = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(fn);
       fn = mlirOperationGetNextInBlock(fn)) {
    if (mlirOperationGetNumRegions(fn) < 1)
      continue;
    MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
    if (mlirBlockIsNull(block))
      continue;
    for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      MlirAttribute d = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("coopt.kernel"));
      if (mlirAttributeIsNull(d) || !mlirAttributeIsADictionary(d))
        continue;
      MlirAttribute k = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("kind"));
      MlirAttribute b = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("packed_bytes"));
      if (mlirAttributeIsNull(k) || !mlirAttributeIsAString(k) || mlirAttributeIsNull(b) || !mlirAttributeIsAInteger(b))
        continue;
      if (n == cap)
        *out = coopt_xrealloc(*out, (cap = cap ? 2 * cap : 16) * sizeof **out);
      MlirStringRef ks = mlirStringAttrGetValue(k);
      kernel_call *c = &(*out)[n++];
      c->call = op;
      snprintf(c->kind, sizeof c->kind, "%.*s", (int)ks.length, ks.data);
      c->bytes = mlirIntegerAttrGetValueInt(b);
      MlirAttribute m = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("macs"));
      c->macs = !mlirAttributeIsNull(m) && mlirAttributeIsAInteger(m) ? mlirIntegerAttrGetValueInt(m) : -1;
      MlirAttribute p = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("predicted"));
      c->predicted = !mlirAttributeIsNull(p) && mlirAttributeIsAFloat(p) ? mlirFloatAttrGetValueDouble(p) : -1;
      string_field(d, "unit", c->unit, sizeof c->unit);
      string_field(d, "cpu", c->cpu, sizeof c->cpu);
    }
  }
  return n;
}

/* Everything the report says: the weights with their statistics and
 * predicted kernels, the totals, and the kernel calls already made. */
typedef struct stats_report {
  coopt_weight_set set;
  coopt_weight_stats *st;
  /* The int8 kernel coopt-lower-kernels gives a pointwise conv's weights,
   * from the same function it decides with (its default options), on the
   * codes below: the weights themselves when they are int8 already, else
   * their per-channel symmetric codes (a prediction for after lower-int8). */
  pointwise_kernel *kernels;
  coopt_weight_stats total;
  kernel_call *calls;
  size_t ncalls;
} stats_report;

static void stats_report_free(stats_report *r) {
  free(r->st);
  free(r->kernels);
  free(r->calls);
  cooptWeightSetFree(&r->set);
}

static void add_to_total(coopt_weight_stats *total, const coopt_weight_stats *s) {
  total->elements += s->elements;
  total->zeros += s->zeros;
  total->nonfinite += s->nonfinite;
  total->bytes_f32 += s->bytes_f32;
  total->bytes_int8 += s->bytes_int8;
  total->bytes_sparse += s->bytes_sparse;
  total->bytes_palettized += s->bytes_palettized;
  total->bytes_sparse_palettized += s->bytes_sparse_palettized;
}

/* Per-weight statistics and kernels, and the totals. */
static void compute_stats(stats_report *r) {
  const coopt_weight_set *set = &r->set;
  r->st = coopt_xcalloc(set->count ? set->count : 1, sizeof *r->st);
  r->kernels = coopt_xcalloc(set->count ? set->count : 1, sizeof *r->kernels);
  memset(&r->total, 0, sizeof r->total);
  int64_t all_n = 0;
  for (size_t i = 0; i < set->count; ++i)
    all_n += set->items[i].num_elements;
  int8_t *all_codes = coopt_xmalloc((size_t)(all_n ? all_n : 1));
  int64_t at = 0;
  size_t cap = set->count ? set->count : 1;
  pointwise_set ps = {coopt_xcalloc(cap, sizeof(coopt_int8_weights)), coopt_xcalloc(cap, sizeof(size_t)),
                      coopt_xcalloc(cap, sizeof(size_t)), 0};
  for (size_t i = 0; i < set->count; ++i) {
    const coopt_weight *w = &set->items[i];
    float *v = cooptWeightLoad(w);
    cooptComputeWeightStats(v, w->rows, w->spatial * w->inner, &r->st[i]);
    int8_codes(w, v, all_codes + at);
    if (w->op == COOPT_WOP_CONV2D && w->spatial == 1)
      add_pointwise(&ps, i, all_codes + at, w->rows, w->inner, pointwise_rows(w->user));
    r->st[i].bytes_gzip = deflated_size(all_codes + at, w->num_elements);
    at += w->num_elements;
    free(v);
    add_to_total(&r->total, &r->st[i]);
  }
  choose_pointwise_kernels(&ps, r->kernels);
  free(ps.v), free(ps.m), free(ps.index);
  /* One stream, as the weights of a deployed model would be compressed. */
  r->total.bytes_gzip = deflated_size(all_codes, all_n);
  free(all_codes);
}

static void weight_json(coopt_json *j, const coopt_weight *w, const coopt_weight_stats *s,
                        const pointwise_kernel *kernel) {
  char loc[256];
  coopt_json_begin_object(j);
  coopt_json_key(j, "op");
  coopt_buf op;
  coopt_buf_init(&op);
  coopt_buf_printf(&op, "tosa.%s", coopt_weight_op_names[w->op]);
  coopt_json_cstring(j, op.data);
  coopt_buf_free(&op);
  cooptFormatLocation(mlirOperationGetLocation(w->user), loc, sizeof loc);
  coopt_json_key(j, "loc");
  coopt_json_cstring(j, loc);
  coopt_json_key(j, "shape");
  coopt_json_begin_inline_array(j);
  for (int d = 0; d < w->rank; ++d)
    coopt_json_int(j, w->shape[d]);
  coopt_json_end_array(j);
  coopt_json_key(j, "dtype");
  coopt_json_cstring(j, elem_name(w->elem));
  json_int_field(j, "users", w->num_users);
  json_int_field(j, "channels", s->channels);
  json_int_field(j, "elements", s->elements);
  json_int_field(j, "zeros", s->zeros);
  coopt_json_key(j, "zero_fraction");
  coopt_json_double(j, s->elements ? (double)s->zeros / (double)s->elements : 0);
  json_int_field(j, "nonfinite", s->nonfinite);
  json_int_field(j, "distinct", s->distinct);
  json_int_field(j, "max_channel_distinct", s->max_channel_distinct);
  bytes_json(j, s);
  coopt_json_key(j, "palette");
  coopt_json_cstring(j, s->palette_bits == 0 ? "none" : s->palette_per_channel ? "channel" : "tensor");
  json_int_field(j, "palette_bits", s->palette_bits);
  if (kernel->known) {
    coopt_json_key(j, "int8_kernel");
    coopt_json_cstring(j, cooptKernelKindName(kernel->kind));
    json_int_field(j, "int8_kernel_bytes", (int64_t)kernel->bytes);
  }
  MlirAttribute structure =
      mlirOperationGetDiscardableAttributeByName(w->constant, mlirStringRefCreateFromCString("coopt.structure"));
  if (!mlirAttributeIsNull(structure)) {
    coopt_buf a;
    coopt_buf_init(&a);
    mlirAttributePrint(structure, coopt_buf_string_callback, &a);
    coopt_json_key(j, "structure");
    coopt_json_string(j, a.data, a.size);
    coopt_buf_free(&a);
  }
  coopt_json_end_object(j);
}

static void kernel_calls_json(coopt_json *j, const kernel_call *calls, size_t ncalls) {
  char loc[256];
  coopt_json_key(j, "kernel_calls");
  coopt_json_begin_array(j);
  for (size_t i = 0; i < ncalls; ++i) {
    coopt_json_begin_object(j);
    cooptFormatLocation(mlirOperationGetLocation(calls[i].call), loc, sizeof loc);
    coopt_json_key(j, "location");
    coopt_json_string(j, loc, strlen(loc));
    coopt_json_key(j, "kernel");
    coopt_json_string(j, calls[i].kind, strlen(calls[i].kind));
    json_int_field(j, "packed_bytes", calls[i].bytes);
    if (calls[i].macs >= 0) {
      json_int_field(j, "macs", calls[i].macs);
    }
    if (calls[i].predicted >= 0) {
      coopt_json_key(j, "predicted");
      coopt_json_double(j, calls[i].predicted);
      coopt_json_key(j, "unit");
      coopt_json_string(j, calls[i].unit, strlen(calls[i].unit));
      coopt_json_key(j, "cpu");
      coopt_json_string(j, calls[i].cpu, strlen(calls[i].cpu));
    }
    coopt_json_end_object(j);
  }
  coopt_json_end_array(j);
}

/* The predicted time of one inference: the sum over the priced calls (the
 * int8 GEMMs; what else runs is not modelled).  False when no call is
 * priced, or they disagree on the CPU. */
typedef struct predicted_total {
  double sum;
  size_t priced;
  const kernel_call *first;
} predicted_total;

static bool predicted_sum(const kernel_call *calls, size_t ncalls, predicted_total *t) {
  memset(t, 0, sizeof *t);
  for (size_t i = 0; i < ncalls; ++i) {
    if (calls[i].predicted < 0)
      continue;
    if (t->first && (strcmp(t->first->cpu, calls[i].cpu) || strcmp(t->first->unit, calls[i].unit)))
      return false;
    t->first = t->first ? t->first : &calls[i];
    t->sum += calls[i].predicted;
    ++t->priced;
  }
  return t->priced > 0;
}

static void emit_json(const stats_report *r, coopt_buf *out) {
  coopt_json j;
  coopt_json_init(&j, out, true);
  coopt_json_begin_object(&j);
  coopt_json_key(&j, "weights");
  coopt_json_begin_array(&j);
  for (size_t i = 0; i < r->set.count; ++i)
    weight_json(&j, &r->set.items[i], &r->st[i], &r->kernels[i]);
  coopt_json_end_array(&j);
  kernel_calls_json(&j, r->calls, r->ncalls);
  predicted_total pt;
  if (predicted_sum(r->calls, r->ncalls, &pt)) {
    coopt_json_key(&j, "predicted_per_inference");
    coopt_json_begin_object(&j);
    coopt_json_key(&j, "value");
    coopt_json_double(&j, pt.sum);
    coopt_json_key(&j, "unit");
    coopt_json_string(&j, pt.first->unit, strlen(pt.first->unit));
    coopt_json_key(&j, "cpu");
    coopt_json_string(&j, pt.first->cpu, strlen(pt.first->cpu));
    json_int_field(&j, "calls_priced", (int64_t)pt.priced);
    json_int_field(&j, "calls", (int64_t)r->ncalls);
    coopt_json_end_object(&j);
  }
  const coopt_weight_stats *total = &r->total;
  coopt_json_key(&j, "totals");
  coopt_json_begin_object(&j);
  json_int_field(&j, "tensors", (int64_t)r->set.count);
  json_int_field(&j, "elements", total->elements);
  json_int_field(&j, "zeros", total->zeros);
  coopt_json_key(&j, "zero_fraction");
  coopt_json_double(&j, total->elements ? (double)total->zeros / (double)total->elements : 0);
  json_int_field(&j, "nonfinite", total->nonfinite);
  bytes_json(&j, total);
  coopt_json_end_object(&j);
  coopt_json_end_object(&j);
  coopt_buf_putc(out, '\n');
}

static void emit_table_weights(const stats_report *r, coopt_buf *out) {
  const coopt_weight_set *set = &r->set;
  char loc[256], shape[96];
  /* Column widths adapt to locations and shapes so the table stays aligned. */
  int wloc = 8, wshape = 5, wop = 5;
  for (size_t i = 0; i < set->count; ++i) {
    cooptFormatLocation(mlirOperationGetLocation(set->items[i].user), loc, sizeof loc);
    cooptFormatShape(set->items[i].shape, set->items[i].rank, shape, sizeof shape);
    int l = (int)strlen(loc), s = (int)strlen(shape), op = 5 + (int)strlen(coopt_weight_op_names[set->items[i].op]);
    wloc = l > wloc ? l : wloc;
    wshape = s > wshape ? s : wshape;
    wop = op > wop ? op : wop;
  }
  coopt_buf_printf(out, "%-*s  %-*s  %-*s  %10s  %6s  %8s  %6s  %11s  %10s  %10s  %10s  %10s  %10s\n", wop, "op", wloc,
                   "location", wshape, "shape", "elements", "zero%", "distinct", "max/ch", "f32 B", "int8 B",
                   "sparse B", "palette B", "sp+pal B", "gzip B");
  for (size_t i = 0; i < set->count; ++i) {
    const coopt_weight *w = &set->items[i];
    const coopt_weight_stats *s = &r->st[i];
    cooptFormatLocation(mlirOperationGetLocation(w->user), loc, sizeof loc);
    cooptFormatShape(w->shape, w->rank, shape, sizeof shape);
    coopt_buf_printf(out, "tosa.%-*s  %-*s  %-*s  %10lld  ", wop - 5, coopt_weight_op_names[w->op], wloc, loc, wshape,
                     shape, (long long)s->elements);
    pct(out, s->zeros, s->elements);
    coopt_buf_printf(out, "  %8lld  %6lld  %11lld  %10lld  %10lld  %10lld  %10lld  %10lld\n", (long long)s->distinct,
                     (long long)s->max_channel_distinct, (long long)s->bytes_f32, (long long)s->bytes_int8,
                     (long long)s->bytes_sparse, (long long)s->bytes_palettized, (long long)s->bytes_sparse_palettized,
                     (long long)s->bytes_gzip);
  }
  const coopt_weight_stats *total = &r->total;
  char label[64];
  snprintf(label, sizeof label, "total (%zu tensors)", set->count);
  coopt_buf_printf(out, "%-*s  %10lld  ", wop + wloc + wshape + 4, label, (long long)total->elements);
  pct(out, total->zeros, total->elements);
  coopt_buf_printf(out, "  %8s  %6s  %11lld  %10lld  %10lld  %10lld  %10lld  %10lld\n", "", "",
                   (long long)total->bytes_f32, (long long)total->bytes_int8, (long long)total->bytes_sparse,
                   (long long)total->bytes_palettized, (long long)total->bytes_sparse_palettized,
                   (long long)total->bytes_gzip);
}

static void emit_table_calls(const kernel_call *calls, size_t ncalls, coopt_buf *out) {
  char loc[256], label[64];
  int wl = 8, wk = 6;
  for (size_t i = 0; i < ncalls; ++i) {
    cooptFormatLocation(mlirOperationGetLocation(calls[i].call), loc, sizeof loc);
    wl = (int)strlen(loc) > wl ? (int)strlen(loc) : wl;
    wk = (int)strlen(calls[i].kind) > wk ? (int)strlen(calls[i].kind) : wk;
  }
  coopt_buf_printf(out, "\nkernel calls (coopt-lower-kernels)\n%-*s  %-*s  %12s  %12s\n", wl, "location", wk, "kernel",
                   "packed B", "predicted");
  int64_t sum = 0;
  for (size_t i = 0; i < ncalls; ++i) {
    cooptFormatLocation(mlirOperationGetLocation(calls[i].call), loc, sizeof loc);
    coopt_buf_printf(out, "%-*s  %-*s  %12lld", wl, loc, wk, calls[i].kind, (long long)calls[i].bytes);
    if (calls[i].predicted >= 0)
      coopt_buf_printf(out, "  %12.0f %s", calls[i].predicted, calls[i].unit);
    coopt_buf_putc(out, '\n');
    sum += calls[i].bytes;
  }
  snprintf(label, sizeof label, "total (%zu calls)", ncalls);
  coopt_buf_printf(out, "%-*s  %12lld\n", wl + wk + 2, label, (long long)sum);
  predicted_total pt;
  if (predicted_sum(calls, ncalls, &pt))
    coopt_buf_printf(out, "predicted per inference: %.0f %s on %s (%zu of %zu calls priced: the int8 GEMMs)\n", pt.sum,
                     pt.first->unit, pt.first->cpu, pt.priced, ncalls);
}

static coopt_pass_result run_stats(MlirOperation root, const void *opaque) {
  const stats_options *o = opaque;
  unsigned mask = 0;
  for (size_t i = 0; i < o->ops.size; ++i)
    mask |= COOPT_WOP_MASK(((int *)o->ops.items)[i]);
  stats_report r;
  memset(&r, 0, sizeof r);
  if (!cooptCollectWeights(root, mask, false, &r.set)) {
    cooptWeightSetFree(&r.set);
    return COOPT_PASS_FAILURE;
  }
  r.ncalls = collect_kernel_calls(root, &r.calls);
  compute_stats(&r);

  coopt_buf out;
  coopt_buf_init(&out);
  if (o->format == FORMAT_JSON) {
    emit_json(&r, &out);
  } else {
    emit_table_weights(&r, &out);
    if (r.ncalls)
      emit_table_calls(r.calls, r.ncalls, &out);
  }
  coopt_pass_result result = COOPT_PASS_SUCCESS;
  char err[512];
  if (strcmp(o->output, "-") == 0) {
    fwrite(out.data, 1, out.size, stdout);
    fflush(stdout);
  } else if (!coopt_write_file_atomic(o->output, out.data, out.size, err, sizeof err)) {
    cooptEmitError(mlirOperationGetLocation(root), "coopt-stats: %s", err);
    result = COOPT_PASS_FAILURE;
  }
  coopt_buf_free(&out);
  stats_report_free(&r);
  return result;
}

const coopt_pass_info coopt_stats_pass = {
    .argument = "coopt-stats",
    .summary = "Report weight structure (zeros, distinct values) and storage sizes",
    .description = "For every constant weight of tosa.conv2d, tosa.depthwise_conv2d, tosa.transpose_conv2d and "
                   "tosa.matmul (also through tosa.reshape/tosa.transpose of a tosa.const), report shape, "
                   "elements, zero fraction, distinct values (tensor and max per output channel) and bytes as "
                   "dense f32, dense int8, sparse (bitmask + int8 nonzeros) and palettized (indices + int8 "
                   "codebook), plus totals.  Shared constants are reported once.  After coopt-lower-kernels, also "
                   "every kernel call with its kernel kind and packed bytes.  The IR is not changed.",
    .anchor = "builtin.module",
    .options = stats_option_table,
    .num_options = sizeof stats_option_table / sizeof stats_option_table[0],
    .options_size = sizeof(stats_options),
    .run = run_stats,
};
