/*
 * ONNX -> TOSA importer.
 *
 * The graph is translated node by node into MLIR text (parsed and verified by
 * MLIR afterwards), with static shapes tracked here.  Conventions:
 *   - every rank-4 activation is kept NHWC inside the function (TOSA's
 *     convolution layout); the function interface stays ONNX's NCHW, so the
 *     only activation transposes are at the boundary, or where an op's
 *     semantics need the logical order (a Reshape of a non-trivial NHWC
 *     tensor, for instance);
 *   - weight layout changes (OIHW -> OHWI, Gemm transB, alpha, ...) are folded
 *     into the constants, which are emitted lazily at their first use;
 *   - every op carries the ONNX node name as its location, so diagnostics of
 *     later passes name the model's own nodes.
 * Anything not handled exactly (an op, attribute value or data type) is an
 * error naming the node and the op, never an approximation.
 */
#include "Data/OnnxTensor.h"
#include "Support/Support.h"
#include "coopt/Import.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXR 8
/* Larger graph inputs (8 GiB of f32) are a corrupt or hostile model, not a
 * workload coopt compiles. */
#define MAX_INPUT_ELEMENTS (INT64_C(1) << 31)

/* Element types are ONNX's TensorProto codes. */
enum {
  ET_F32 = COOPT_ONNX_F32,
  ET_U8 = COOPT_ONNX_U8,
  ET_I8 = COOPT_ONNX_I8,
  ET_I32 = COOPT_ONNX_I32,
  ET_I64 = COOPT_ONNX_I64,
  ET_BOOL = COOPT_ONNX_BOOL
};

typedef struct value {
  char *name;
  int et;
  int rank;
  int64_t dims[MAXR]; /* logical (ONNX) order */
  int id;             /* SSA id (%vN) once emitted, or argument index with is_arg */
  bool is_arg;
  int input_pos;    /* position among the graph inputs, or -1 */
  char logical[32]; /* an SSA ref holding this value in logical order, if one exists */
  void *data;       /* constant contents in logical order, or NULL */
} value;

typedef struct importer {
  coopt_buf body;
  value *vals;
  size_t nvals, cap;
  int next_id;
  int opset;
  int64_t batch;
  const Onnx__NodeProto *node;
  char loc[600];
  char err[1024];
  bool failed;
  int zero_f32, shift0;
  const char *out_override; /* register output 0 under this name (1-D lifting) */
  value *in_override[3];    /* with override_active: the op's inputs 0..2 (NULL = absent) */
  bool override_active;
  bool lifted;         /* a 1-D op is being emitted as 2-D */
  char mul_attrs[160]; /* attribute dictionary for the next tosa.mul, then cleared */
} importer;

/* ------------------------------------------------------------------ */
/* diagnostics                                                         */

static bool fail(importer *im, const char *fmt, ...) COOPT_PRINTF(2, 3);
static bool fail(importer *im, const char *fmt, ...) {
  if (im->failed)
    return false;
  im->failed = true;
  char msg[800];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (im->node)
    snprintf(im->err, sizeof im->err, "node '%s' (%s): %s",
             im->node->name && *im->node->name ? im->node->name : "<unnamed>", im->node->op_type, msg);
  else
    snprintf(im->err, sizeof im->err, "%s", msg);
  return false;
}

/* ------------------------------------------------------------------ */
/* values                                                              */
struct value;
static bool fail_not_const(importer *im, const struct value *v, const char *what);

/* Every value holds one of the supported types (checked where values are
 * created), so the size is never 0. */
static size_t et_size(int et) { return cooptOnnxTypeSize(et); }

static const char *et_name(int et) {
  switch (et) {
  case ET_F32: return "f32";
  case ET_I8: return "i8";
  case ET_U8: return "i8"; /* unsigned bytes travel as i8 bits: MLIR's TOSA lowering has no ui8 */
  case ET_I32: return "i32";
  case ET_I64: return "i64";
  case ET_BOOL: return "i1";
  }
  return "?";
}

static const char *et_user_name(int et) { return et == ET_U8 ? "ui8" : et_name(et); }

static int64_t numel(const int64_t *d, int r) {
  int64_t n = 1;
  for (int i = 0; i < r; ++i)
    n *= d[i];
  return n;
}

static value *find(importer *im, const char *name) {
  for (size_t i = im->nvals; i-- > 0;)
    if (!strcmp(im->vals[i].name, name))
      return &im->vals[i];
  return NULL;
}

static value *add_value(importer *im, const char *name, int et, int rank, const int64_t *dims) {
  /* Callers pass the dims (and names) of existing values, which live in
   * im->vals: copy them before the array may move (ASan: use after free
   * when the 64th value of MobileNet was a Relu of the 63rd). */
  int64_t d[MAXR];
  memcpy(d, dims, (size_t)rank * sizeof(int64_t));
  char *copy = coopt_xstrndup(name, strlen(name));
  if (im->nvals == im->cap) {
    im->cap = im->cap ? 2 * im->cap : 64;
    im->vals = coopt_xrealloc(im->vals, im->cap * sizeof(value));
  }
  value *v = &im->vals[im->nvals++];
  memset(v, 0, sizeof *v);
  v->name = copy;
  v->et = et;
  v->rank = rank;
  memcpy(v->dims, d, (size_t)rank * sizeof(int64_t));
  v->id = -1;
  v->input_pos = -1;
  return v;
}

/* "X must be a constant", saying how to make it one when X is a graph input. */
static bool fail_not_const(importer *im, const value *v, const char *what) {
  if (v->input_pos >= 0)
    return fail(im, "%s must be a constant (graph input #%d: bind it to a constant with --bind)", what, v->input_pos);
  return fail(im, "%s must be a constant", what);
}

/* A fresh copy of a constant's contents (at least one byte, for malloc). */
static void *copy_data(const value *v) {
  size_t bytes = (size_t)numel(v->dims, v->rank) * et_size(v->et);
  void *d = coopt_xmalloc(bytes ? bytes : 1);
  memcpy(d, v->data, bytes);
  return d;
}

/* Physical layout: rank-4 values are NHWC. */
static void phys_dims(int rank, const int64_t *logical, int64_t *out) {
  if (rank == 4) {
    out[0] = logical[0];
    out[1] = logical[2];
    out[2] = logical[3];
    out[3] = logical[1];
  } else
    memcpy(out, logical, (size_t)rank * sizeof(int64_t));
}

/* Rotating buffers so that several types/refs fit in one printf. */
static char *scratch(void) {
  static char bufs[16][256];
  static int next;
  return bufs[next++ & 15];
}

static const char *ttype(int et, int rank, const int64_t *pd) {
  char *b = scratch();
  size_t u = (size_t)snprintf(b, 256, "tensor<");
  for (int i = 0; i < rank; ++i)
    u += (size_t)snprintf(b + u, 256 - u, "%lldx", (long long)pd[i]);
  snprintf(b + u, 256 - u, "%s>", et_name(et));
  return b;
}

static const char *vtype(const value *v) {
  int64_t pd[MAXR];
  phys_dims(v->rank, v->dims, pd);
  return ttype(v->et, v->rank, pd);
}

static const char *ref_id(int id) {
  char *b = scratch();
  snprintf(b, 256, "%%v%d", id);
  return b;
}

static const char *vref(const value *v) {
  char *b = scratch();
  if (v->is_arg)
    snprintf(b, 256, "%%arg%d", v->id);
  else
    snprintf(b, 256, "%%v%d", v->id);
  return b;
}

static void line(importer *im, const char *fmt, ...) COOPT_PRINTF(2, 3);
static void line(importer *im, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  coopt_buf_puts(&im->body, "    ");
  coopt_buf_vprintf(&im->body, fmt, ap);
  coopt_buf_printf(&im->body, " %s\n", im->loc);
  va_end(ap);
}

static void set_loc(importer *im, const char *name) {
  /* loc("name") with MLIR string escapes: names are arbitrary bytes, and a
   * raw newline or quote would end the string (found by fuzz-onnx). */
  size_t u = (size_t)snprintf(im->loc, sizeof im->loc, "loc(\"");
  for (const char *p = name; *p && u < sizeof im->loc - 8; ++p) {
    if ((unsigned char)*p < 0x20) {
      u += (size_t)snprintf(im->loc + u, sizeof im->loc - u, "\\%02X", (unsigned char)*p);
      continue;
    }
    if (*p == '"' || *p == '\\')
      im->loc[u++] = '\\';
    im->loc[u++] = *p;
  }
  snprintf(im->loc + u, sizeof im->loc - u, "\")");
}

/* ------------------------------------------------------------------ */
/* emission helpers                                                     */

static int emit_const(importer *im, int et, int rank, const int64_t *pd, const void *data) {
  int id = im->next_id++;
  int64_t n = numel(pd, rank);
  size_t es = et_size(et);
  const char *t = ttype(et, rank, pd);
  coopt_buf_printf(&im->body, "    %%v%d = \"tosa.const\"() <{values = dense<\"0x", id);
  const unsigned char *p = data;
  static const char hex[] = "0123456789ABCDEF";
  for (int64_t i = 0; i < n * (int64_t)es; ++i) {
    char h[2] = {hex[p[i] >> 4], hex[p[i] & 15]};
    coopt_buf_append(&im->body, h, 2);
  }
  coopt_buf_printf(&im->body, "\"> : %s}> : () -> %s %s\n", t, t, im->loc);
  return id;
}

static int zero_f32(importer *im) {
  if (im->zero_f32 < 0) {
    int64_t one = 1;
    float z = 0;
    im->zero_f32 = emit_const(im, ET_F32, 1, &one, &z);
  }
  return im->zero_f32;
}

static int shift0(importer *im) {
  if (im->shift0 < 0) {
    int64_t one = 1;
    int8_t z = 0;
    im->shift0 = emit_const(im, ET_I8, 1, &one, &z);
  }
  return im->shift0;
}

static int const_shape(importer *im, int n, const int64_t *v) {
  int id = im->next_id++;
  coopt_buf_printf(&im->body, "    %%v%d = tosa.const_shape {values = dense<[", id);
  for (int i = 0; i < n; ++i)
    coopt_buf_printf(&im->body, "%s%lld", i ? ", " : "", (long long)v[i]);
  coopt_buf_printf(&im->body, "]> : tensor<%dxindex>} : () -> !tosa.shape<%d> %s\n", n, n, im->loc);
  return id;
}

/* Permute host data: out[index in out dims] = in[...] with out dim i = in dim perm[i]. */
static void *permute_data(const void *in, size_t es, int rank, const int64_t *in_dims, const int *perm) {
  int64_t n = numel(in_dims, rank), out_dims[MAXR], in_stride[MAXR], idx[MAXR] = {0};
  for (int i = 0; i < rank; ++i)
    out_dims[i] = in_dims[perm[i]];
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    in_stride[i] = s;
    s *= in_dims[i];
  }
  char *out = coopt_xmalloc((size_t)(n ? n : 1) * es);
  for (int64_t o = 0; o < n; ++o) {
    int64_t src = 0;
    for (int i = 0; i < rank; ++i)
      src += idx[i] * in_stride[perm[i]];
    memcpy(out + (size_t)o * es, (const char *)in + (size_t)src * es, es);
    for (int i = rank - 1; i >= 0; --i) {
      if (++idx[i] < out_dims[i])
        break;
      idx[i] = 0;
    }
  }
  return out;
}

static const int TO_NHWC[4] = {0, 2, 3, 1}; /* physical dim i = logical dim TO_NHWC[i] */
static const int TO_NCHW[4] = {0, 3, 1, 2};

/* Make sure v has an SSA value (emits constants lazily, in physical layout). */
static bool mat(importer *im, value *v) {
  if (v->id >= 0)
    return true;
  if (!v->data)
    return fail(im, "value '%s' has no definition", v->name);
  int64_t pd[MAXR];
  phys_dims(v->rank, v->dims, pd);
  if (v->rank == 4) {
    void *p = permute_data(v->data, et_size(v->et), 4, v->dims, TO_NHWC);
    v->id = emit_const(im, v->et, 4, pd, p);
    free(p);
  } else
    v->id = emit_const(im, v->et, v->rank, pd, v->data);
  return true;
}

static int emit_cast(importer *im, const char *src, int from, int to, int rank, const int64_t *pd) {
  int id = im->next_id++;
  const char *tf = ttype(from, rank, pd), *tt = ttype(to, rank, pd);
  line(im, "%s = tosa.cast %s : (%s) -> %s", ref_id(id), src, tf, tt);
  return id;
}

static int emit_reshape(importer *im, const char *src, int et, int in_rank, const int64_t *in_pd, int out_rank,
                        const int64_t *out_pd) {
  if (in_rank == out_rank && !memcmp(in_pd, out_pd, (size_t)in_rank * sizeof(int64_t)) && src[1] == 'v')
    return atoi(src + 2);
  int s = const_shape(im, out_rank, out_pd);
  int id = im->next_id++;
  line(im, "%s = tosa.reshape %s, %s : (%s, !tosa.shape<%d>) -> %s", ref_id(id), src, ref_id(s),
       ttype(et, in_rank, in_pd), out_rank, ttype(et, out_rank, out_pd));
  return id;
}

/* A transpose that moves only size-1 dims is a reshape in memory. */
static bool trivial_perm(int rank, const int64_t *in_pd, const int *perm) {
  int last = -1;
  for (int i = 0; i < rank; ++i) {
    if (in_pd[perm[i]] == 1)
      continue;
    if (perm[i] < last)
      return false;
    last = perm[i];
  }
  return true;
}

static int emit_transpose(importer *im, const char *src, int et, int rank, const int64_t *in_pd, const int *perm) {
  int64_t out_pd[MAXR];
  bool identity = true;
  for (int i = 0; i < rank; ++i) {
    out_pd[i] = in_pd[perm[i]];
    identity &= perm[i] == i;
  }
  if (identity && src[1] == 'v')
    return atoi(src + 2);
  if (trivial_perm(rank, in_pd, perm) || identity)
    return emit_reshape(im, src, et, rank, in_pd, rank, out_pd);
  int id = im->next_id++;
  coopt_buf b;
  coopt_buf_init(&b);
  for (int i = 0; i < rank; ++i)
    coopt_buf_printf(&b, "%s%d", i ? ", " : "", perm[i]);
  line(im, "%s = tosa.transpose %s {perms = array<i32: %s>} : (%s) -> %s", ref_id(id), src, b.data,
       ttype(et, rank, in_pd), ttype(et, rank, out_pd));
  coopt_buf_free(&b);
  return id;
}

/* SSA ref of v in logical (ONNX) order. */
static const char *logical_ref(importer *im, value *v) {
  if (!mat(im, v))
    return NULL;
  if (v->rank != 4)
    return vref(v);
  if (v->logical[0]) {
    /* e.g. right after the entry transpose: use its source, no round trip */
    char *b = scratch();
    snprintf(b, 256, "%s", v->logical);
    return b;
  }
  int64_t pd[MAXR];
  phys_dims(4, v->dims, pd);
  int id = emit_transpose(im, vref(v), v->et, 4, pd, TO_NCHW);
  snprintf(v->logical, sizeof v->logical, "%%v%d", id);
  return ref_id(id);
}

/* Define `out` from an SSA value in logical order. */
static void define_from_logical(importer *im, value *out, const char *src) {
  if (out->rank == 4) {
    snprintf(out->logical, sizeof out->logical, "%s", src);
    out->id = emit_transpose(im, src, out->et, 4, out->dims, TO_NHWC);
  } else
    out->id = atoi(src + 2);
}

/* ------------------------------------------------------------------ */
/* tensors and attributes                                               */

static bool tensor_data(importer *im, const Onnx__TensorProto *t, int *et, int *rank, int64_t *dims, void **data) {
  char msg[256];
  coopt_onnx_tensor_status st = cooptOnnxTensorDecode(t, MAXR, et, rank, dims, data, msg, sizeof msg);
  if (st == COOPT_ONNX_TENSOR_OK)
    return true;
  return fail(im, "tensor '%s' %s%s", t->name ? t->name : "", msg,
              st == COOPT_ONNX_TENSOR_NO_DATA ? " (missing initializer data?)" : "");
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; ++i)
    if (!strcmp(n->attribute[i]->name, name))
      return n->attribute[i];
  return NULL;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t def) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a ? a->i : def;
}

static float attr_f(const Onnx__NodeProto *n, const char *name, float def) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a ? a->f : def;
}

/* ints attribute into out (returns count, -1 when absent). */
static int attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max) {
  const Onnx__AttributeProto *a = attr(n, name);
  if (!a)
    return -1;
  int c = (int)a->n_ints < max ? (int)a->n_ints : max;
  for (int i = 0; i < c; ++i)
    out[i] = a->ints[i];
  return (int)a->n_ints;
}

/* A string attribute (truncated to 63 bytes, in a buffer the next call
 * reuses), or `def` when absent. */
static const char *attr_s(const Onnx__NodeProto *n, const char *name, const char *def) {
  const Onnx__AttributeProto *a = attr(n, name);
  static char buf[64];
  if (!a || !a->has_s)
    return def;
  size_t l = a->s.len < sizeof buf - 1 ? a->s.len : sizeof buf - 1;
  memcpy(buf, a->s.data, l);
  buf[l] = 0;
  return buf;
}

/* Only these attributes may appear on the node; anything else is refused
 * rather than ignored. */
static bool check_attrs(importer *im, const char *const *allowed) {
  for (size_t i = 0; i < im->node->n_attribute; ++i) {
    bool ok = false;
    for (int k = 0; allowed[k]; ++k)
      ok |= !strcmp(allowed[k], im->node->attribute[i]->name);
    if (!ok)
      return fail(im, "attribute '%s' is not supported", im->node->attribute[i]->name);
  }
  return true;
}

static value *input(importer *im, size_t i) {
  if (im->override_active) {
    if (i < 3 && im->in_override[i])
      return im->in_override[i];
    fail(im, "missing input %zu", i);
    return NULL;
  }
  if (i >= im->node->n_input || !im->node->input[i][0]) {
    fail(im, "missing input %zu", i);
    return NULL;
  }
  value *v = find(im, im->node->input[i]);
  if (!v)
    fail(im, "input '%s' is not defined by any earlier node, initializer or graph input", im->node->input[i]);
  return v;
}

static bool has_input(importer *im, size_t i) {
  if (im->override_active)
    return i < 3 && im->in_override[i];
  return i < im->node->n_input && im->node->input[i][0];
}

static value *output(importer *im, size_t i, int et, int rank, const int64_t *dims) {
  for (int k = 0; k < rank; ++k)
    if (dims[k] <= 0) {
      fail(im, "output '%s' would have dimension %lld, which TOSA cannot represent", im->node->output[i],
           (long long)dims[k]);
      return NULL;
    }
  return add_value(im, i == 0 && im->out_override ? im->out_override : im->node->output[i], et, rank, dims);
}

/* Register output 0 as the SSA value `id`. */
static bool define_output(importer *im, int et, int rank, const int64_t *dims, int id) {
  value *o = output(im, 0, et, rank, dims);
  if (!o)
    return false;
  o->id = id;
  return true;
}

static bool need_f32(importer *im, const value *v) {
  if (v->et != ET_F32)
    return fail(im, "input '%s' has element type %s; only f32 is supported here", v->name, et_user_name(v->et));
  return true;
}

/* Integer contents of a constant int64/int32 tensor. */
static bool const_ints(importer *im, value *v, int64_t *out, int max, int *count) {
  if (!v->data)
    return fail_not_const(im, v, "this input");
  int64_t n = numel(v->dims, v->rank);
  if (n > max)
    return fail(im, "input '%s' has too many elements", v->name);
  for (int64_t i = 0; i < n; ++i)
    out[i] = v->et == ET_I64 ? ((int64_t *)v->data)[i] : v->et == ET_I32 ? ((int32_t *)v->data)[i] : 0;
  if (v->et != ET_I64 && v->et != ET_I32)
    return fail(im, "input '%s' must be an integer tensor", v->name);
  *count = (int)n;
  return true;
}

static bool const_scalar_f32(importer *im, value *v, float *out) {
  if (!v->data)
    return fail_not_const(im, v, "this scalar");
  if (v->et != ET_F32 || numel(v->dims, v->rank) != 1)
    return fail(im, "input '%s' must be a constant f32 scalar", v->name);
  *out = *(float *)v->data;
  return true;
}

/* ------------------------------------------------------------------ */
/* shared op machinery                                                  */

static value *temp_const(importer *im, int et, int rank, const int64_t *dims, void *data) {
  char name[32];
  snprintf(name, sizeof name, "\x01tmp%zu", im->nvals);
  value *v = add_value(im, name, et, rank, dims);
  v->data = data;
  return v;
}

/* v in physical layout at rank R (right-aligned broadcast, 1s prepended). */
static const char *operand_at_rank(importer *im, value *v, int R, int64_t *pd_out) {
  int64_t ed[MAXR];
  int pre = R - v->rank;
  for (int i = 0; i < R; ++i)
    ed[i] = i < pre ? 1 : v->dims[i - pre];
  phys_dims(R, ed, pd_out);
  if (pre == 0) {
    if (!mat(im, v))
      return NULL;
    return vref(v);
  }
  if (v->data) {
    value *t = temp_const(im, v->et, R, ed, copy_data(v));
    if (!mat(im, t))
      return NULL;
    return vref(t);
  }
  const char *src = logical_ref(im, v);
  if (!src)
    return NULL;
  int64_t vpd[MAXR];
  memcpy(vpd, v->dims, (size_t)v->rank * sizeof(int64_t));
  int id = emit_reshape(im, src, v->et, v->rank, vpd, R, ed);
  if (R == 4)
    id = emit_transpose(im, ref_id(id), v->et, 4, ed, TO_NHWC);
  return ref_id(id);
}

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } bin_kind;

static value *emit_binary(importer *im, bin_kind k, value *a, value *b, const char *out_name) {
  if (a->et != b->et) {
    fail(im, "operands have different element types (%s, %s)", et_name(a->et), et_name(b->et));
    return NULL;
  }
  if (a->et != ET_F32 && a->et != ET_I32) {
    fail(im, "element type %s is not supported (f32 or i32)", et_user_name(a->et));
    return NULL;
  }
  if (k == BIN_DIV && a->et != ET_F32) {
    fail(im, "integer division is not supported");
    return NULL;
  }
  int R = a->rank > b->rank ? a->rank : b->rank;
  int64_t od[MAXR];
  for (int i = 0; i < R; ++i) {
    int ia = i - (R - a->rank), ib = i - (R - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      fail(im, "shapes of '%s' and '%s' do not broadcast", a->name, b->name);
      return NULL;
    }
    od[i] = da == 1 ? db : da;
  }
  int64_t pa[MAXR], pb[MAXR], po[MAXR];
  const char *ra = operand_at_rank(im, a, R, pa);
  if (!ra)
    return NULL;
  char ra_copy[64];
  snprintf(ra_copy, sizeof ra_copy, "%s", ra);
  const char *rb = operand_at_rank(im, b, R, pb);
  if (!rb)
    return NULL;
  char rb_copy[64];
  snprintf(rb_copy, sizeof rb_copy, "%s", rb);
  phys_dims(R, od, po);
  const char *ta = ttype(a->et, R, pa), *tb = ttype(a->et, R, pb), *to = ttype(a->et, R, po);
  int id = im->next_id++;
  switch (k) {
  case BIN_ADD: line(im, "%s = tosa.add %s, %s : (%s, %s) -> %s", ref_id(id), ra_copy, rb_copy, ta, tb, to); break;
  case BIN_SUB: line(im, "%s = tosa.sub %s, %s : (%s, %s) -> %s", ref_id(id), ra_copy, rb_copy, ta, tb, to); break;
  case BIN_MUL: {
    int s = shift0(im);
    line(im, "%s = tosa.mul %s, %s, %s%s : (%s, %s, tensor<1xi8>) -> %s", ref_id(id), ra_copy, rb_copy, ref_id(s),
         im->mul_attrs, ta, tb, to);
    im->mul_attrs[0] = 0;
    break;
  }
  case BIN_DIV: {
    /* TOSA has no float division: x * reciprocal(y). */
    int r = im->next_id++;
    line(im, "%s = tosa.reciprocal %s : (%s) -> %s", ref_id(r), rb_copy, tb, tb);
    int s = shift0(im);
    line(im, "%s = tosa.mul %s, %s, %s : (%s, %s, tensor<1xi8>) -> %s", ref_id(id), ra_copy, ref_id(r), ref_id(s), ta,
         tb, to);
    break;
  }
  }
  value *o = add_value(im, out_name, a->et, R, od);
  o->id = id;
  return o;
}

/* Float attribute in MLIR's exact bit-pattern form. */
static const char *f32_attr(float f) {
  char *b = scratch();
  uint32_t bits;
  memcpy(&bits, &f, 4);
  snprintf(b, 256, "0x%08X : f32", bits);
  return b;
}

static value *emit_clamp(importer *im, value *x, double lo, double hi, const char *out_name) {
  if (!mat(im, x))
    return NULL;
  int id = im->next_id++;
  const char *t = vtype(x);
  if (x->et == ET_F32) {
    line(im, "%s = tosa.clamp %s {max_val = %s, min_val = %s} : (%s) -> %s", ref_id(id), vref(x), f32_attr((float)hi),
         f32_attr((float)lo), t, t);
  } else if (x->et == ET_I32) {
    /* TOSA's profiles have no i32 clamp: maximum then minimum. */
    int64_t one_pd[MAXR];
    for (int i = 0; i < x->rank; ++i)
      one_pd[i] = 1;
    int32_t lo32 = (int32_t)lo, hi32 = (int32_t)hi;
    int l = emit_const(im, ET_I32, x->rank, one_pd, &lo32), h = emit_const(im, ET_I32, x->rank, one_pd, &hi32);
    int mx = im->next_id++;
    const char *to = ttype(ET_I32, x->rank, one_pd);
    line(im, "%s = tosa.maximum %s, %s : (%s, %s) -> %s", ref_id(mx), vref(x), ref_id(l), t, to, t);
    line(im, "%s = tosa.minimum %s, %s : (%s, %s) -> %s", ref_id(id), ref_id(mx), ref_id(h), t, to, t);
  } else if (x->et == ET_I8) {
    const char *tn = et_name(x->et);
    line(im, "%s = tosa.clamp %s {max_val = %lld : %s, min_val = %lld : %s} : (%s) -> %s", ref_id(id), vref(x),
         (long long)hi, tn, (long long)lo, tn, t, t);
  } else {
    fail(im, "element type %s is not supported", et_name(x->et));
    return NULL;
  }
  value *o = add_value(im, out_name, x->et, x->rank, x->dims);
  o->id = id;
  return o;
}

/* Output size and TOSA pads of one spatial axis. TOSA requires
 * (in + pad_begin + pad_end - k_eff) to be an exact multiple of the stride,
 * so the end pad is set to what the last window needs; rows the window never
 * reaches are cropped from the input instead of padded negatively. */
static bool spatial_axis(importer *im, int64_t in, int64_t k_eff, int64_t s, int64_t p0, int64_t p1,
                         const char *auto_pad, bool ceil_mode, int64_t *pb, int64_t *pe, int64_t *out, int64_t *crop) {
  if (s < 1)
    return fail(im, "stride %lld is not supported", (long long)s);
  int64_t o;
  if (!strcmp(auto_pad, "SAME_UPPER") || !strcmp(auto_pad, "SAME_LOWER")) {
    o = (in + s - 1) / s;
    int64_t total = (o - 1) * s + k_eff - in;
    if (total < 0)
      total = 0;
    if (!strcmp(auto_pad, "SAME_UPPER")) {
      p0 = total / 2;
      p1 = total - p0;
    } else {
      p1 = total / 2;
      p0 = total - p1;
    }
  } else if (!strcmp(auto_pad, "VALID")) {
    p0 = p1 = 0;
    o = (in - k_eff) / s + 1;
  } else if (!strcmp(auto_pad, "NOTSET")) {
    int64_t span = in + p0 + p1 - k_eff;
    if (span < 0)
      return fail(im, "kernel (%lld) is larger than the padded input (%lld)", (long long)k_eff,
                  (long long)(in + p0 + p1));
    o = span / s + 1;
    if (ceil_mode && span % s) {
      o = span / s + 2;
      if ((o - 1) * s >= in + p0) /* the last window must start inside the input or the begin pad */
        --o;
    }
  } else
    return fail(im, "auto_pad '%s' is not supported", auto_pad);
  if (o < 1)
    return fail(im, "the output would be empty");
  int64_t end = (o - 1) * s + k_eff - in - p0;
  *crop = 0;
  if (end < 0) {
    *crop = -end;
    end = 0;
  }
  /* Every window inside the begin pad (found by fuzz-onnx: a 7-row input,
   * 9 rows of padding, stride 47): nothing of the input would remain after
   * the crop, and TOSA has no empty tensors. */
  if (*crop >= in)
    return fail(im, "every window lies in the padding (input %lld, begin pad %lld, stride %lld)", (long long)in,
                (long long)p0, (long long)s);
  *pb = p0;
  *pe = end;
  *out = o;
  return true;
}

typedef struct window {
  int64_t k[2], s[2], d[2], pads[4]; /* pads: top, bottom, left, right (TOSA order) */
  int64_t out[2], crop[2];
} window;

static bool window_2d(importer *im, const value *x, const int64_t *kernel, bool ceil_mode, bool with_dilation,
                      window *w) {
  int64_t strides[2] = {1, 1}, dil[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
  int n;
  if (im->lifted) {
    /* A 1-D op seen as 2-D with H = 1: its attributes describe W only. */
    int64_t p2[2] = {0, 0};
    if ((n = attr_ints(im->node, "strides", strides + 1, 1)) >= 0 && n != 1)
      return fail(im, "strides must have 1 value");
    if ((n = attr_ints(im->node, "dilations", dil + 1, 1)) >= 0 && n != 1)
      return fail(im, "dilations must have 1 value");
    if ((n = attr_ints(im->node, "pads", p2, 2)) >= 0 && n != 2)
      return fail(im, "pads must have 2 values");
    pads[1] = p2[0];
    pads[3] = p2[1];
  } else {
    if ((n = attr_ints(im->node, "strides", strides, 2)) >= 0 && n != 2)
      return fail(im, "strides must have 2 values");
    if ((n = attr_ints(im->node, "dilations", dil, 2)) >= 0 && n != 2)
      return fail(im, "dilations must have 2 values");
    if ((n = attr_ints(im->node, "pads", pads, 4)) >= 0 && n != 4)
      return fail(im, "pads must have 4 values");
  }
  if (!with_dilation && (dil[0] != 1 || dil[1] != 1))
    return fail(im, "dilations other than 1 are not supported");
  for (int i = 0; i < 4; ++i)
    if (pads[i] < 0)
      return fail(im, "negative pads are not supported");
  const char *auto_pad = attr_s(im->node, "auto_pad", "NOTSET");
  char ap[64];
  snprintf(ap, sizeof ap, "%s", auto_pad);
  for (int a = 0; a < 2; ++a) {
    w->k[a] = kernel[a];
    w->s[a] = strides[a];
    w->d[a] = dil[a];
    if (!spatial_axis(im, x->dims[2 + a], (kernel[a] - 1) * dil[a] + 1, strides[a], pads[a], pads[a + 2], ap, ceil_mode,
                      &w->pads[2 * a], &w->pads[2 * a + 1], &w->out[a], &w->crop[a]))
      return false;
  }
  return true;
}

/* Physical NHWC ref of x cropped at the bottom/right when a window needs it. */
static const char *cropped_input(importer *im, value *x, const window *w, int64_t *pd) {
  if (!mat(im, x))
    return NULL;
  phys_dims(4, x->dims, pd);
  if (!w->crop[0] && !w->crop[1])
    return vref(x);
  int64_t start[4] = {0, 0, 0, 0}, size[4] = {pd[0], pd[1] - w->crop[0], pd[2] - w->crop[1], pd[3]};
  int s0 = const_shape(im, 4, start), s1 = const_shape(im, 4, size);
  int id = im->next_id++;
  line(im, "%s = tosa.slice %s, %s, %s : (%s, !tosa.shape<4>, !tosa.shape<4>) -> %s", ref_id(id), vref(x), ref_id(s0),
       ref_id(s1), ttype(x->et, 4, pd), ttype(x->et, 4, size));
  memcpy(pd, size, sizeof size);
  return ref_id(id);
}

/* Constant padding as concatenation with constant blocks.  Equivalent to
 * tosa.pad, but tosa-validate (MLIR 22, level 8K) rejects the !tosa.shape<8>
 * padding of a rank-4 pad as exceeding MAX_RANK. */
static int emit_pad_concat(importer *im, const char *src, int et, int rank, int64_t *pd, const int64_t *pads,
                           float pad_value) {
  char cur[32];
  snprintf(cur, sizeof cur, "%s", src);
  int id = -1;
  for (int a = 0; a < rank; ++a) {
    int64_t before = pads[2 * a], after = pads[2 * a + 1];
    if (!before && !after)
      continue;
    int64_t in_pd[MAXR], out_pd[MAXR];
    memcpy(in_pd, pd, (size_t)rank * sizeof(int64_t));
    memcpy(out_pd, pd, (size_t)rank * sizeof(int64_t));
    out_pd[a] += before + after;
    coopt_buf refs, types;
    coopt_buf_init(&refs);
    coopt_buf_init(&types);
    for (int side = 0; side < 3; ++side) {
      if (side == 1) {
        coopt_buf_printf(&refs, "%s%s", refs.size ? ", " : "", cur);
        coopt_buf_printf(&types, "%s%s", types.size ? ", " : "", ttype(et, rank, in_pd));
        continue;
      }
      int64_t n = side == 0 ? before : after;
      if (!n)
        continue;
      int64_t bd[MAXR];
      memcpy(bd, pd, (size_t)rank * sizeof(int64_t));
      bd[a] = n;
      int64_t cnt = numel(bd, rank);
      float *blk = coopt_xmalloc((size_t)cnt * 4);
      for (int64_t i = 0; i < cnt; ++i)
        blk[i] = pad_value;
      int c = emit_const(im, et, rank, bd, blk);
      free(blk);
      coopt_buf_printf(&refs, "%s%s", refs.size ? ", " : "", ref_id(c));
      coopt_buf_printf(&types, "%s%s", types.size ? ", " : "", ttype(et, rank, bd));
    }
    id = im->next_id++;
    line(im, "%s = tosa.concat %s {axis = %d : i32} : (%s) -> %s", ref_id(id), refs.data, a, types.data,
         ttype(et, rank, out_pd));
    coopt_buf_free(&refs);
    coopt_buf_free(&types);
    memcpy(pd, out_pd, (size_t)rank * sizeof(int64_t));
    snprintf(cur, sizeof cur, "%s", ref_id(id));
  }
  return id;
}

/* ------------------------------------------------------------------ */
/* ops                                                                  */

static bool op_conv(importer *im) {
  static const char *const ok[] = {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL};
  if (!check_attrs(im, ok))
    return false;
  value *x = input(im, 0), *w = input(im, 1), *b = has_input(im, 2) ? input(im, 2) : NULL;
  if (!x || !w || (has_input(im, 2) && !b) || !need_f32(im, x))
    return false;
  if (x->rank != 4)
    return fail(im, "only 1-D and 2-D convolution are supported (input rank %d)", x->rank);
  if (w->et != ET_F32 || w->rank != 4)
    return fail(im, "weights must be an f32 tensor of rank %d", im->lifted ? 3 : 4);
  if (b && (b->et != ET_F32 || b->rank != 1 || b->dims[0] != w->dims[0]))
    return fail(im, "bias must be an f32 vector of the output channels");
  int64_t g = attr_i(im->node, "group", 1), C = x->dims[1], M = w->dims[0], Cg = w->dims[1];
  if (g < 1 || C % g || M % g || Cg != C / g)
    return fail(im, "group %lld does not fit %lld input and %lld output channels", (long long)g, (long long)C,
                (long long)M);
  int64_t ks[2];
  int n = attr_ints(im->node, "kernel_shape", ks, 2);
  if (n >= 0 && (im->lifted ? (n != 1 || ks[0] != w->dims[3]) : (n != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3])))
    return fail(im, "kernel_shape does not match the weights");
  window win;
  if (!window_2d(im, x, w->dims + 2, false, true, &win))
    return false;
  int64_t xpd[4];
  const char *xr = cropped_input(im, x, &win, xpd);
  if (!xr)
    return false;
  char xref[64];
  snprintf(xref, sizeof xref, "%s", xr);
  int64_t od[4] = {x->dims[0], M, win.out[0], win.out[1]}, opd[4];
  phys_dims(4, od, opd);
  int64_t kh = w->dims[2], kw = w->dims[3], bd = M;
  char attrs[256];
  snprintf(attrs, sizeof attrs,
           "{acc_type = f32, dilation = array<i64: %lld, %lld>, pad = array<i64: %lld, %lld, %lld, %lld>, stride = "
           "array<i64: %lld, %lld>}",
           (long long)win.d[0], (long long)win.d[1], (long long)win.pads[0], (long long)win.pads[1],
           (long long)win.pads[2], (long long)win.pads[3], (long long)win.s[0], (long long)win.s[1]);
  int z = zero_f32(im), id;
  /* Bias: a constant (zeros when absent) or, for ungrouped convs, a value. */
  int bid = -1;
  float *bias = NULL;
  if (!b || b->data) {
    bias = coopt_xcalloc((size_t)M, sizeof(float));
    if (b)
      memcpy(bias, b->data, (size_t)M * 4);
  } else if (g != 1 && !(g == C && Cg == 1)) {
    return fail(im, "a non-constant bias is not supported on a grouped convolution");
  } else {
    if (!mat(im, b))
      return false;
    bid = b->id;
  }
  if (g == 1) {
    /* ONNX OIHW weights; TOSA wants OHWI, which is exactly this importer's
     * physical layout of a rank-4 value: constants are permuted here,
     * computed weights already are. */
    int64_t wpd[4] = {M, kh, kw, C};
    int wid;
    if (w->data) {
      static const int OIHW_TO_OHWI[4] = {0, 2, 3, 1};
      void *wd = permute_data(w->data, 4, 4, w->dims, OIHW_TO_OHWI);
      wid = emit_const(im, ET_F32, 4, wpd, wd);
      free(wd);
    } else {
      if (!mat(im, w))
        return false;
      wid = w->id;
    }
    if (bid < 0)
      bid = emit_const(im, ET_F32, 1, &bd, bias);
    id = im->next_id++;
    line(im, "%s = tosa.conv2d %s, %s, %s, %s, %s %s : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s", ref_id(id),
         xref, ref_id(wid), ref_id(bid), ref_id(z), ref_id(z), attrs, ttype(ET_F32, 4, xpd), ttype(ET_F32, 4, wpd),
         ttype(ET_F32, 1, &bd), ttype(ET_F32, 4, opd));
  } else if (g == C && Cg == 1) {
    /* Depthwise: ONNX [C*mult,1,kh,kw] (output channel c*mult+m) -> TOSA [kh,kw,C,mult]. */
    int64_t mult = M / C, as4[4] = {C, mult, kh, kw}, wpd[4] = {kh, kw, C, mult};
    static const int TO_HWCM[4] = {2, 3, 0, 1};
    int wid;
    if (w->data) {
      void *wd = permute_data(w->data, 4, 4, as4, TO_HWCM);
      wid = emit_const(im, ET_F32, 4, wpd, wd);
      free(wd);
    } else {
      /* physical [C*mult,kh,kw,1] has the linear order of [C,mult,kh,kw] */
      if (!mat(im, w))
        return false;
      int64_t wphys[4] = {M, kh, kw, 1};
      int r = emit_reshape(im, vref(w), ET_F32, 4, wphys, 4, as4);
      wid = emit_transpose(im, ref_id(r), ET_F32, 4, as4, TO_HWCM);
    }
    if (bid < 0)
      bid = emit_const(im, ET_F32, 1, &bd, bias);
    id = im->next_id++;
    line(im, "%s = tosa.depthwise_conv2d %s, %s, %s, %s, %s %s : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s",
         ref_id(id), xref, ref_id(wid), ref_id(bid), ref_id(z), ref_id(z), attrs, ttype(ET_F32, 4, xpd),
         ttype(ET_F32, 4, wpd), ttype(ET_F32, 1, &bd), ttype(ET_F32, 4, opd));
  } else {
    if (!w->data)
      return fail(im, "non-constant weights are not supported on a grouped convolution");
    /* Grouped: one conv per group on a channel slice, then a concat. */
    int64_t Mg = M / g;
    coopt_buf parts, types;
    coopt_buf_init(&parts);
    coopt_buf_init(&types);
    int64_t gpd[4] = {opd[0], opd[1], opd[2], Mg};
    for (int64_t gi = 0; gi < g; ++gi) {
      int64_t start[4] = {0, 0, 0, gi * Cg}, size[4] = {xpd[0], xpd[1], xpd[2], Cg};
      int s0 = const_shape(im, 4, start), s1 = const_shape(im, 4, size);
      int sl = im->next_id++;
      line(im, "%s = tosa.slice %s, %s, %s : (%s, !tosa.shape<4>, !tosa.shape<4>) -> %s", ref_id(sl), xref, ref_id(s0),
           ref_id(s1), ttype(ET_F32, 4, xpd), ttype(ET_F32, 4, size));
      int64_t wdims[4] = {Mg, Cg, kh, kw};
      static const int OIHW_TO_OHWI[4] = {0, 2, 3, 1};
      void *wd = permute_data((float *)w->data + gi * Mg * Cg * kh * kw, 4, 4, wdims, OIHW_TO_OHWI);
      int64_t wpd[4] = {Mg, kh, kw, Cg}, gbd = Mg;
      int wid = emit_const(im, ET_F32, 4, wpd, wd), gbid = emit_const(im, ET_F32, 1, &gbd, bias + gi * Mg);
      free(wd);
      int cid = im->next_id++;
      line(im, "%s = tosa.conv2d %s, %s, %s, %s, %s %s : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s", ref_id(cid),
           ref_id(sl), ref_id(wid), ref_id(gbid), ref_id(z), ref_id(z), attrs, ttype(ET_F32, 4, size),
           ttype(ET_F32, 4, wpd), ttype(ET_F32, 1, &gbd), ttype(ET_F32, 4, gpd));
      coopt_buf_printf(&parts, "%s%s", gi ? ", " : "", ref_id(cid));
      coopt_buf_printf(&types, "%s%s", gi ? ", " : "", ttype(ET_F32, 4, gpd));
    }
    id = im->next_id++;
    line(im, "%s = tosa.concat %s {axis = 3 : i32} : (%s) -> %s", ref_id(id), parts.data, types.data,
         ttype(ET_F32, 4, opd));
    coopt_buf_free(&parts);
    coopt_buf_free(&types);
  }
  free(bias);
  return define_output(im, ET_F32, 4, od, id);
}

static bool reshape_to(importer *im, value *x, int rank, const int64_t *dims);
static bool define_reshaped(importer *im, value *x, value *o, int rank, const int64_t *dims);

/* Define `o` as x reshaped (in logical order); constants fold. */
static bool define_reshaped(importer *im, value *x, value *o, int rank, const int64_t *dims) {
  if (x->data) {
    o->data = copy_data(x); /* same elements, same linear order */
    return true;
  }
  const char *src = logical_ref(im, x);
  if (!src)
    return false;
  int id = emit_reshape(im, src, x->et, x->rank, x->dims, rank, dims);
  define_from_logical(im, o, ref_id(id));
  return true;
}

/* A logical reshape into a temporary value. */
static value *reshaped_temp(importer *im, value *x, int rank, const int64_t *dims) {
  char name[32];
  snprintf(name, sizeof name, "\x01r%zu", im->nvals);
  value *o = add_value(im, name, x->et, rank, dims);
  return define_reshaped(im, x, o, rank, dims) ? o : NULL;
}

/* Emit a 1-D Conv / pool as its 2-D form with H = 1. */
static bool lifted_1d(importer *im, bool is_conv, bool (*emit)(importer *)) {
  value *x = input(im, 0);
  if (!x)
    return false;
  int64_t x4[4] = {x->dims[0], x->dims[1], 1, x->dims[2]};
  value *xl = reshaped_temp(im, x, 4, x4), *wl = NULL;
  if (!xl)
    return false;
  if (is_conv) {
    value *w = input(im, 1);
    if (!w)
      return false;
    if (w->rank != 3)
      return fail(im, "weights must have rank 3 for a 1-D convolution");
    int64_t w4[4] = {w->dims[0], w->dims[1], 1, w->dims[2]};
    if (!(wl = reshaped_temp(im, w, 4, w4)))
      return false;
  }
  value *bias = is_conv && has_input(im, 2) ? input(im, 2) : NULL;
  if (is_conv && has_input(im, 2) && !bias)
    return false;
  im->in_override[0] = xl;
  im->in_override[1] = wl;
  im->in_override[2] = bias;
  im->override_active = true;
  im->out_override = "\x01lifted";
  im->lifted = true;
  bool ok = emit(im);
  im->in_override[0] = im->in_override[1] = im->in_override[2] = NULL;
  im->override_active = false;
  im->out_override = NULL;
  im->lifted = false;
  if (!ok)
    return false;
  value *o4 = find(im, "\x01lifted");
  int64_t o3[3] = {o4->dims[0], o4->dims[1], o4->dims[3]};
  return reshape_to(im, o4, 3, o3);
}

static bool op_conv_any(importer *im) {
  value *x = input(im, 0);
  if (!x)
    return false;
  if (x->rank == 3)
    return lifted_1d(im, true, op_conv);
  return op_conv(im);
}

static bool op_pool(importer *im, bool is_max, bool global) {
  static const char *const ok_avg[] = {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads",
                                       "strides",  NULL};
  static const char *const ok_max[] = {"auto_pad", "ceil_mode",     "dilations", "kernel_shape",
                                       "pads",     "storage_order", "strides",   NULL};
  static const char *const none[] = {NULL};
  if (!check_attrs(im, global ? none : is_max ? ok_max : ok_avg))
    return false;
  if (im->node->n_output > 1 && im->node->output[1][0])
    return fail(im, "the Indices output is not supported");
  value *x = input(im, 0);
  if (!x || !need_f32(im, x))
    return false;
  if (x->rank != 4)
    return fail(im, "only 1-D and 2-D pooling are supported (input rank %d)", x->rank);
  int64_t k[2] = {x->dims[2], x->dims[3]};
  window win;
  memset(&win, 0, sizeof win);
  if (global) {
    win.k[0] = k[0], win.k[1] = k[1], win.s[0] = win.s[1] = 1, win.out[0] = win.out[1] = 1;
  } else {
    if (im->lifted) {
      k[0] = 1;
      if (attr_ints(im->node, "kernel_shape", k + 1, 1) != 1)
        return fail(im, "kernel_shape must have 1 value");
    } else if (attr_ints(im->node, "kernel_shape", k, 2) != 2)
      return fail(im, "kernel_shape must have 2 values");
    bool ceil_mode = attr_i(im->node, "ceil_mode", 0) != 0;
    if (!window_2d(im, x, k, ceil_mode, false, &win))
      return false;
  }
  for (int i = 0; i < 4; ++i)
    if (win.pads[i] >= win.k[i / 2])
      return fail(im, "padding of %lld on a kernel of %lld is not supported", (long long)win.pads[i],
                  (long long)win.k[i / 2]);
  bool include_pad = !is_max && attr_i(im->node, "count_include_pad", 0) != 0;
  int64_t xpd[4];
  const char *xr = cropped_input(im, x, &win, xpd);
  if (!xr)
    return false;
  char xref[64];
  snprintf(xref, sizeof xref, "%s", xr);
  if (include_pad && (win.pads[0] || win.pads[1] || win.pads[2] || win.pads[3])) {
    /* Padding that counts in the divisor is explicit zeros. */
    int64_t pads[8] = {0, 0, win.pads[0], win.pads[1], win.pads[2], win.pads[3], 0, 0};
    int id = emit_pad_concat(im, xref, ET_F32, 4, xpd, pads, 0.0f);
    snprintf(xref, sizeof xref, "%s", ref_id(id));
    memset(win.pads, 0, sizeof win.pads);
  }
  int64_t od[4] = {x->dims[0], x->dims[1], win.out[0], win.out[1]}, opd[4];
  phys_dims(4, od, opd);
  int id = im->next_id++;
  if (is_max)
    line(im,
         "%s = tosa.max_pool2d %s {kernel = array<i64: %lld, %lld>, pad = array<i64: %lld, %lld, %lld, %lld>, "
         "stride = array<i64: %lld, %lld>} : (%s) -> %s",
         ref_id(id), xref, (long long)win.k[0], (long long)win.k[1], (long long)win.pads[0], (long long)win.pads[1],
         (long long)win.pads[2], (long long)win.pads[3], (long long)win.s[0], (long long)win.s[1],
         ttype(ET_F32, 4, xpd), ttype(ET_F32, 4, opd));
  else {
    int z = zero_f32(im);
    line(im,
         "%s = tosa.avg_pool2d %s, %s, %s {acc_type = f32, kernel = array<i64: %lld, %lld>, pad = array<i64: %lld, "
         "%lld, %lld, %lld>, stride = array<i64: %lld, %lld>} : (%s, tensor<1xf32>, tensor<1xf32>) -> %s",
         ref_id(id), xref, ref_id(z), ref_id(z), (long long)win.k[0], (long long)win.k[1], (long long)win.pads[0],
         (long long)win.pads[1], (long long)win.pads[2], (long long)win.pads[3], (long long)win.s[0],
         (long long)win.s[1], ttype(ET_F32, 4, xpd), ttype(ET_F32, 4, opd));
  }
  return define_output(im, ET_F32, 4, od, id);
}

/* [B, M, K] x [B, K, N] -> [B, M, N] with tosa.matmul (refs already rank 3). */
static int emit_matmul3(importer *im, const char *a, const char *b, int64_t B, int64_t M, int64_t K, int64_t N) {
  int64_t ad[3] = {B, M, K}, bd[3] = {B, K, N}, od[3] = {B, M, N};
  int z = zero_f32(im), id = im->next_id++;
  line(im, "%s = tosa.matmul %s, %s, %s, %s : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s", ref_id(id), a, b,
       ref_id(z), ref_id(z), ttype(ET_F32, 3, ad), ttype(ET_F32, 3, bd), ttype(ET_F32, 3, od));
  return id;
}

static bool op_gemm(importer *im) {
  static const char *const ok[] = {"alpha", "beta", "transA", "transB", NULL};
  if (!check_attrs(im, ok))
    return false;
  value *a = input(im, 0), *b = input(im, 1), *c = has_input(im, 2) ? input(im, 2) : NULL;
  if (!a || !b || (has_input(im, 2) && !c) || !need_f32(im, a) || !need_f32(im, b) || (c && !need_f32(im, c)))
    return false;
  if (a->rank != 2 || b->rank != 2)
    return fail(im, "A and B must be matrices");
  float alpha = attr_f(im->node, "alpha", 1.0f), beta = attr_f(im->node, "beta", 1.0f);
  bool ta = attr_i(im->node, "transA", 0) != 0, tb = attr_i(im->node, "transB", 0) != 0;
  int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  int64_t K2 = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  if (K != K2)
    return fail(im, "inner dimensions differ (%lld, %lld)", (long long)K, (long long)K2);
  if (!mat(im, a))
    return false;
  const char *ar = vref(a);
  int64_t apd[2] = {a->dims[0], a->dims[1]};
  static const int T2[2] = {1, 0};
  int aid = ta ? emit_transpose(im, ar, ET_F32, 2, apd, T2) : -1;
  int64_t mk[2] = {M, K}, a3[3] = {1, M, K};
  int a3id = emit_reshape(im, aid >= 0 ? ref_id(aid) : ar, ET_F32, 2, mk, 3, a3);
  int b3id;
  if (b->data) {
    /* Fold transB and alpha into the constant [1, K, N]. */
    float *bd = coopt_xmalloc((size_t)(K * N) * 4);
    const float *src = b->data;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        bd[k * N + n] = alpha * (tb ? src[n * K + k] : src[k * N + n]);
    int64_t b3[3] = {1, K, N};
    b3id = emit_const(im, ET_F32, 3, b3, bd);
    free(bd);
    alpha = 1.0f;
  } else {
    if (!mat(im, b))
      return false;
    int64_t bpd[2] = {b->dims[0], b->dims[1]};
    int bt = tb ? emit_transpose(im, vref(b), ET_F32, 2, bpd, T2) : -1;
    int64_t kn[2] = {K, N}, b3[3] = {1, K, N};
    b3id = emit_reshape(im, bt >= 0 ? ref_id(bt) : vref(b), ET_F32, 2, kn, 3, b3);
  }
  char a3r[32];
  snprintf(a3r, sizeof a3r, "%s", ref_id(a3id));
  int mm = emit_matmul3(im, a3r, ref_id(b3id), 1, M, K, N);
  int64_t o3[3] = {1, M, N}, mn[2] = {M, N};
  int y = emit_reshape(im, ref_id(mm), ET_F32, 3, o3, 2, mn);
  value *yv = add_value(im, c || alpha != 1.0f ? "\x01gemm" : im->node->output[0], ET_F32, 2, mn);
  yv->id = y;
  if (alpha != 1.0f) {
    int64_t one[2] = {1, 1};
    float *ad = coopt_xmalloc(4);
    *ad = alpha;
    value *av = temp_const(im, ET_F32, 2, one, ad);
    yv = emit_binary(im, BIN_MUL, yv, av, c ? "\x01gemm" : im->node->output[0]);
    if (!yv)
      return false;
  }
  if (c) {
    value *cv = c;
    if (beta != 1.0f) {
      if (c->data) {
        int64_t n = numel(c->dims, c->rank);
        float *cd = coopt_xmalloc((size_t)(n ? n : 1) * 4);
        for (int64_t i = 0; i < n; ++i)
          cd[i] = beta * ((float *)c->data)[i];
        cv = temp_const(im, ET_F32, c->rank, c->dims, cd);
      } else {
        int64_t one[1] = {1};
        float *bd = coopt_xmalloc(4);
        *bd = beta;
        cv = emit_binary(im, BIN_MUL, c, temp_const(im, ET_F32, 1, one, bd), "\x01gemmc");
        if (!cv)
          return false;
      }
    }
    if (!emit_binary(im, BIN_ADD, yv, cv, im->node->output[0]))
      return false;
  }
  return true;
}

static bool op_matmul(importer *im) {
  if (!check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *a = input(im, 0), *b = input(im, 1);
  if (!a || !b || !need_f32(im, a) || !need_f32(im, b))
    return false;
  if (a->rank < 2 || b->rank < 2)
    return fail(im, "1-D operands are not supported");
  int64_t M = a->dims[a->rank - 2], K = a->dims[a->rank - 1], K2 = b->dims[b->rank - 2], N = b->dims[b->rank - 1];
  if (K != K2)
    return fail(im, "inner dimensions differ (%lld, %lld)", (long long)K, (long long)K2);
  int64_t ba = numel(a->dims, a->rank - 2), bb = numel(b->dims, b->rank - 2);
  int64_t od[MAXR];
  int orank;
  int64_t B, Mrows;
  if (bb == 1) {
    /* Shared B: fold A's batch into its rows. */
    orank = a->rank;
    memcpy(od, a->dims, (size_t)a->rank * sizeof(int64_t));
    od[orank - 1] = N;
    B = 1;
    Mrows = ba * M;
  } else {
    if (a->rank != b->rank || memcmp(a->dims, b->dims, (size_t)(a->rank - 2) * sizeof(int64_t)))
      return fail(im, "broadcasting of batch dimensions is not supported");
    orank = a->rank;
    memcpy(od, a->dims, (size_t)a->rank * sizeof(int64_t));
    od[orank - 1] = N;
    B = ba;
    Mrows = M;
  }
  const char *ar = logical_ref(im, a);
  if (!ar)
    return false;
  int64_t a3[3] = {B, Mrows, K};
  int aid = emit_reshape(im, ar, ET_F32, a->rank, a->dims, 3, a3);
  int bid;
  int64_t b3[3] = {bb == 1 ? 1 : B, K, N};
  if (b->data) {
    bid = emit_const(im, ET_F32, 3, b3, b->data);
  } else {
    const char *br = logical_ref(im, b);
    if (!br)
      return false;
    bid = emit_reshape(im, br, ET_F32, b->rank, b->dims, 3, b3);
  }
  char ar3[32];
  snprintf(ar3, sizeof ar3, "%s", ref_id(aid));
  int mm = emit_matmul3(im, ar3, ref_id(bid), B, Mrows, K, N);
  int64_t o3[3] = {B, Mrows, N};
  value *o = output(im, 0, ET_F32, orank, od);
  if (!o)
    return false;
  int y = emit_reshape(im, ref_id(mm), ET_F32, 3, o3, orank, od);
  define_from_logical(im, o, ref_id(y));
  return true;
}

static bool op_binary(importer *im, bin_kind k) {
  if (!check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *a = input(im, 0), *b = input(im, 1);
  if (!a || !b)
    return false;
  return emit_binary(im, k, a, b, im->node->output[0]) != NULL;
}

static bool op_unary(importer *im, const char *tosa_op) {
  if (!check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *x = input(im, 0);
  if (!x || !need_f32(im, x) || !mat(im, x))
    return false;
  int id = im->next_id++;
  const char *t = vtype(x);
  line(im, "%s = %s %s : (%s) -> %s", ref_id(id), tosa_op, vref(x), t, t);
  return define_output(im, x->et, x->rank, x->dims, id);
}

static bool op_relu(importer *im) {
  if (!check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *x = input(im, 0);
  if (!x || !need_f32(im, x))
    return false;
  return emit_clamp(im, x, 0.0, FLT_MAX, im->node->output[0]) != NULL;
}

static bool op_clip(importer *im) {
  double lo, hi;
  value *x = input(im, 0);
  if (!x)
    return false;
  if (x->et == ET_F32) {
    lo = -FLT_MAX;
    hi = FLT_MAX;
  } else if (x->et == ET_I8) {
    lo = -128;
    hi = 127;
  } else if (x->et == ET_I32) {
    lo = INT32_MIN;
    hi = INT32_MAX;
  } else
    return fail(im, "element type %s is not supported", et_name(x->et));
  if (im->opset < 11) {
    if (!check_attrs(im, (const char *const[]){"min", "max", NULL}))
      return false;
    lo = attr_f(im->node, "min", (float)lo);
    hi = attr_f(im->node, "max", (float)hi);
  } else {
    if (!check_attrs(im, (const char *const[]){NULL}))
      return false;
    for (int i = 1; i <= 2; ++i) {
      if (!has_input(im, (size_t)i))
        continue;
      value *v = input(im, (size_t)i);
      if (!v)
        return false;
      if (!v->data)
        return fail_not_const(im, v, i == 1 ? "min" : "max");
      if (v->et != x->et || numel(v->dims, v->rank) != 1)
        return fail(im, "min/max must be constant scalars of the input's type");
      double d = x->et == ET_F32  ? ((float *)v->data)[0]
                 : x->et == ET_I8 ? ((int8_t *)v->data)[0]
                                  : ((int32_t *)v->data)[0];
      if (i == 1)
        lo = d;
      else
        hi = d;
    }
  }
  if (lo > hi) {
    /* ONNX: every value becomes max when min > max. */
    lo = hi;
  }
  return emit_clamp(im, x, lo, hi, im->node->output[0]) != NULL;
}

static int64_t *ones_dims(int rank) {
  static int64_t d[MAXR];
  for (int i = 0; i < rank; ++i)
    d[i] = 1;
  return d;
}

static bool op_leaky_relu(importer *im) {
  if (!check_attrs(im, (const char *const[]){"alpha", NULL}))
    return false;
  value *x = input(im, 0);
  if (!x || !need_f32(im, x) || !mat(im, x))
    return false;
  float alpha = attr_f(im->node, "alpha", 0.01f);
  float *ad = coopt_xmalloc(4), *zd = coopt_xcalloc(1, 4);
  *ad = alpha;
  value *av = temp_const(im, ET_F32, x->rank, ones_dims(x->rank), ad);
  value *zv = temp_const(im, ET_F32, x->rank, ones_dims(x->rank), zd);
  value *scaled = emit_binary(im, BIN_MUL, x, av, "\x01leaky");
  if (!scaled || !mat(im, zv))
    return false;
  int64_t pd[MAXR], zpd[MAXR];
  phys_dims(x->rank, x->dims, pd);
  phys_dims(x->rank, zv->dims, zpd);
  int ge = im->next_id++;
  line(im, "%s = tosa.greater_equal %s, %s : (%s, %s) -> %s", ref_id(ge), vref(x), vref(zv), vtype(x),
       ttype(ET_F32, x->rank, zpd), ttype(ET_BOOL, x->rank, pd));
  int id = im->next_id++;
  line(im, "%s = tosa.select %s, %s, %s : (%s, %s, %s) -> %s", ref_id(id), ref_id(ge), vref(x), vref(scaled),
       ttype(ET_BOOL, x->rank, pd), vtype(x), vtype(x), vtype(x));
  return define_output(im, ET_F32, x->rank, x->dims, id);
}

static int phys_axis(int rank, int logical) {
  if (rank != 4)
    return logical;
  for (int i = 0; i < 4; ++i)
    if (TO_NHWC[i] == logical)
      return i;
  return logical;
}

/* softmax along one physical axis of an SSA value of physical dims pd */
static int emit_softmax(importer *im, const char *x, int rank, const int64_t *pd, int axis) {
  int64_t rd[MAXR];
  memcpy(rd, pd, (size_t)rank * sizeof(int64_t));
  rd[axis] = 1;
  const char *t = ttype(ET_F32, rank, pd), *tr = ttype(ET_F32, rank, rd);
  char tt[256], ttr[256];
  snprintf(tt, sizeof tt, "%s", t);
  snprintf(ttr, sizeof ttr, "%s", tr);
  int m = im->next_id++, d = im->next_id++, e = im->next_id++, s = im->next_id++, r = im->next_id++;
  line(im, "%s = tosa.reduce_max %s {axis = %d : i32} : (%s) -> %s", ref_id(m), x, axis, tt, ttr);
  line(im, "%s = tosa.sub %s, %s : (%s, %s) -> %s", ref_id(d), x, ref_id(m), tt, ttr, tt);
  line(im, "%s = tosa.exp %s : (%s) -> %s", ref_id(e), ref_id(d), tt, tt);
  line(im, "%s = tosa.reduce_sum %s {axis = %d : i32} : (%s) -> %s", ref_id(s), ref_id(e), axis, tt, ttr);
  line(im, "%s = tosa.reciprocal %s : (%s) -> %s", ref_id(r), ref_id(s), ttr, ttr);
  int sh = shift0(im), id = im->next_id++;
  line(im, "%s = tosa.mul %s, %s, %s : (%s, %s, tensor<1xi8>) -> %s", ref_id(id), ref_id(e), ref_id(r), ref_id(sh), tt,
       ttr, tt);
  return id;
}

static bool op_softmax(importer *im) {
  if (!check_attrs(im, (const char *const[]){"axis", NULL}))
    return false;
  value *x = input(im, 0);
  if (!x || !need_f32(im, x) || !mat(im, x))
    return false;
  int r = x->rank;
  int64_t axis = attr_i(im->node, "axis", im->opset >= 13 ? -1 : 1);
  if (axis < 0)
    axis += r;
  if (axis < 0 || axis >= r)
    return fail(im, "axis %lld is out of range", (long long)axis);
  value *o = output(im, 0, ET_F32, r, x->dims);
  if (!o)
    return false;
  if (im->opset >= 13 || axis == r - 1) {
    int64_t pd[MAXR];
    phys_dims(r, x->dims, pd);
    int pa = im->opset >= 13 ? phys_axis(r, (int)axis) : phys_axis(r, r - 1);
    o->id = emit_softmax(im, vref(x), r, pd, pa);
    return true;
  }
  /* Before opset 13 the input is coerced to 2-D at `axis`. */
  const char *src = logical_ref(im, x);
  if (!src)
    return false;
  int64_t d2[2] = {numel(x->dims, (int)axis), numel(x->dims + axis, r - (int)axis)};
  int f = emit_reshape(im, src, ET_F32, r, x->dims, 2, d2);
  int sm = emit_softmax(im, ref_id(f), 2, d2, 1);
  int back = emit_reshape(im, ref_id(sm), ET_F32, 2, d2, r, x->dims);
  define_from_logical(im, o, ref_id(back));
  return true;
}

/* Reshape in logical order; folds constants. */
static bool reshape_to(importer *im, value *x, int rank, const int64_t *dims) {
  if (numel(dims, rank) != numel(x->dims, x->rank))
    return fail(im, "cannot reshape %lld elements into %lld", (long long)numel(x->dims, x->rank),
                (long long)numel(dims, rank));
  value *o = output(im, 0, x->et, rank, dims);
  return o && define_reshaped(im, x, o, rank, dims);
}

static bool op_reshape(importer *im) {
  if (!check_attrs(im, (const char *const[]){"allowzero", NULL}))
    return false;
  value *x = input(im, 0), *s = input(im, 1);
  if (!x || !s)
    return false;
  int64_t sh[MAXR];
  int n;
  if (!const_ints(im, s, sh, MAXR, &n))
    return false;
  bool allowzero = attr_i(im->node, "allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < n; ++i) {
    if (sh[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return fail(im, "shape copies dimension %d, which the input does not have", i);
      sh[i] = x->dims[i];
    }
    if (sh[i] == -1) {
      if (infer >= 0)
        return fail(im, "more than one -1 in the shape");
      infer = i;
    } else if (sh[i] < 0)
      return fail(im, "invalid dimension %lld in the shape", (long long)sh[i]);
    else
      known *= sh[i];
  }
  if (infer >= 0) {
    if (known == 0 || numel(x->dims, x->rank) % known)
      return fail(im, "cannot infer the -1 dimension");
    sh[infer] = numel(x->dims, x->rank) / known;
  }
  return reshape_to(im, x, n, sh);
}

static bool op_flatten(importer *im) {
  if (!check_attrs(im, (const char *const[]){"axis", NULL}))
    return false;
  value *x = input(im, 0);
  if (!x)
    return false;
  int64_t axis = attr_i(im->node, "axis", 1);
  if (axis < 0)
    axis += x->rank;
  if (axis < 0 || axis > x->rank)
    return fail(im, "axis is out of range");
  int64_t d[2] = {numel(x->dims, (int)axis), numel(x->dims + axis, x->rank - (int)axis)};
  return reshape_to(im, x, 2, d);
}

static bool axes_of(importer *im, int64_t *axes, int *n, int rank, bool required) {
  *n = -1;
  if (im->opset >= 13) {
    if (!check_attrs(im, (const char *const[]){NULL}))
      return false;
    if (has_input(im, 1)) {
      value *a = input(im, 1);
      if (!a || !const_ints(im, a, axes, MAXR, n))
        return false;
    }
  } else {
    if (!check_attrs(im, (const char *const[]){"axes", NULL}))
      return false;
    *n = attr_ints(im->node, "axes", axes, MAXR);
  }
  if (*n < 0) {
    if (required)
      return fail(im, "axes are required");
    return true;
  }
  for (int i = 0; i < *n; ++i) {
    if (axes[i] < 0)
      axes[i] += rank;
    if (axes[i] < 0 || axes[i] >= rank)
      return fail(im, "axis %lld is out of range", (long long)axes[i]);
  }
  return true;
}

static bool op_squeeze(importer *im) {
  value *x = input(im, 0);
  if (!x)
    return false;
  int64_t axes[MAXR];
  int n;
  if (!axes_of(im, axes, &n, x->rank, false))
    return false;
  int64_t d[MAXR];
  int r = 0;
  for (int i = 0; i < x->rank; ++i) {
    bool drop = false;
    if (n < 0)
      drop = x->dims[i] == 1;
    else
      for (int k = 0; k < n; ++k)
        drop |= axes[k] == i;
    if (drop && x->dims[i] != 1)
      return fail(im, "axis %d has size %lld, not 1", i, (long long)x->dims[i]);
    if (!drop)
      d[r++] = x->dims[i];
  }
  return reshape_to(im, x, r, d);
}

static bool op_unsqueeze(importer *im) {
  value *x = input(im, 0);
  if (!x)
    return false;
  int64_t axes[MAXR];
  int n;
  int out_rank;
  /* axes refer to the output rank, which depends on their count */
  if (im->opset >= 13) {
    if (!has_input(im, 1))
      return fail(im, "axes are required");
    value *a = input(im, 1);
    if (!a || !const_ints(im, a, axes, MAXR, &n))
      return false;
  } else {
    if (!check_attrs(im, (const char *const[]){"axes", NULL}))
      return false;
    n = attr_ints(im->node, "axes", axes, MAXR);
    if (n < 0)
      return fail(im, "axes are required");
  }
  out_rank = x->rank + n;
  if (out_rank > MAXR)
    return fail(im, "result rank %d is too large", out_rank);
  bool is_new[MAXR] = {false};
  for (int i = 0; i < n; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + out_rank : axes[i];
    if (a < 0 || a >= out_rank || is_new[a])
      return fail(im, "invalid or repeated axis %lld", (long long)axes[i]);
    is_new[a] = true;
  }
  int64_t d[MAXR];
  for (int i = 0, j = 0; i < out_rank; ++i)
    d[i] = is_new[i] ? 1 : x->dims[j++];
  return reshape_to(im, x, out_rank, d);
}

static bool op_transpose(importer *im) {
  if (!check_attrs(im, (const char *const[]){"perm", NULL}))
    return false;
  value *x = input(im, 0);
  if (!x)
    return false;
  int r = x->rank;
  int64_t p64[MAXR];
  int n = attr_ints(im->node, "perm", p64, MAXR);
  int perm[MAXR];
  bool seen[MAXR] = {false};
  for (int i = 0; i < r; ++i) {
    perm[i] = n < 0 ? r - 1 - i : (int)p64[i];
    if (perm[i] < 0 || perm[i] >= r || seen[perm[i]])
      return fail(im, "invalid perm");
    seen[perm[i]] = true;
  }
  if (n >= 0 && n != r)
    return fail(im, "perm has %d entries for rank %d", n, r);
  int64_t od[MAXR];
  for (int i = 0; i < r; ++i)
    od[i] = x->dims[perm[i]];
  value *o = output(im, 0, x->et, r, od);
  if (!o)
    return false;
  if (x->data) {
    o->data = permute_data(x->data, et_size(x->et), r, x->dims, perm);
    return true;
  }
  if (!mat(im, x))
    return false;
  /* physical out dim i = logical out pout[i] = logical in perm[pout[i]] = physical in inv_pin[...] */
  int pin[MAXR], inv_pin[MAXR], pout[MAXR], tp[MAXR];
  for (int i = 0; i < r; ++i)
    pin[i] = pout[i] = i;
  if (r == 4)
    for (int i = 0; i < 4; ++i)
      pin[i] = pout[i] = TO_NHWC[i];
  for (int i = 0; i < r; ++i)
    inv_pin[pin[i]] = i;
  for (int i = 0; i < r; ++i)
    tp[i] = inv_pin[perm[pout[i]]];
  int64_t pd[MAXR];
  phys_dims(r, x->dims, pd);
  o->id = emit_transpose(im, vref(x), x->et, r, pd, tp);
  return true;
}

static bool op_concat(importer *im) {
  if (!check_attrs(im, (const char *const[]){"axis", NULL}))
    return false;
  size_t n = im->node->n_input;
  if (n < 1)
    return fail(im, "no inputs");
  value *first = input(im, 0);
  if (!first)
    return false;
  int r = first->rank;
  int64_t axis = attr_i(im->node, "axis", 0);
  if (axis < 0)
    axis += r;
  if (axis < 0 || axis >= r)
    return fail(im, "axis is out of range");
  int64_t od[MAXR];
  memcpy(od, first->dims, (size_t)r * sizeof(int64_t));
  od[axis] = 0;
  coopt_buf refs, types;
  coopt_buf_init(&refs);
  coopt_buf_init(&types);
  bool ok = true;
  for (size_t i = 0; i < n && ok; ++i) {
    value *v = input(im, i);
    if (!v || v->rank != r || v->et != first->et) {
      ok = v ? fail(im, "inputs differ in rank or type") : false;
      break;
    }
    for (int d = 0; d < r; ++d)
      if (d != axis && v->dims[d] != first->dims[d])
        ok = fail(im, "inputs differ outside the axis");
    od[axis] += v->dims[axis];
    if (ok && !(ok = mat(im, v)))
      break;
    coopt_buf_printf(&refs, "%s%s", i ? ", " : "", vref(v));
    coopt_buf_printf(&types, "%s%s", i ? ", " : "", vtype(v));
  }
  value *o = ok ? output(im, 0, first->et, r, od) : NULL;
  if (o) {
    o->id = im->next_id++;
    line(im, "%s = tosa.concat %s {axis = %d : i32} : (%s) -> %s", ref_id(o->id), refs.data, phys_axis(r, (int)axis),
         types.data, vtype(o));
  }
  coopt_buf_free(&refs);
  coopt_buf_free(&types);
  return o != NULL;
}

static bool op_pad(importer *im) {
  value *x = input(im, 0);
  if (!x)
    return false;
  int r = x->rank;
  int64_t pads[2 * MAXR];
  int n;
  float cval = 0;
  const char *mode = attr_s(im->node, "mode", "constant");
  if (strcmp(mode, "constant"))
    return fail(im, "mode '%s' is not supported (only constant)", mode);
  if (im->opset >= 11) {
    if (!check_attrs(im, (const char *const[]){"mode", NULL}))
      return false;
    value *p = input(im, 1);
    if (!p || !const_ints(im, p, pads, 2 * MAXR, &n))
      return false;
    if (has_input(im, 2)) {
      value *c = input(im, 2);
      if (!c || !const_scalar_f32(im, c, &cval))
        return false;
    }
    if (has_input(im, 3))
      return fail(im, "the axes input is not supported");
  } else {
    if (!check_attrs(im, (const char *const[]){"mode", "pads", "value", NULL}))
      return false;
    n = attr_ints(im->node, "pads", pads, 2 * MAXR);
    cval = attr_f(im->node, "value", 0.0f);
  }
  if (n != 2 * r)
    return fail(im, "pads must have %d values", 2 * r);
  if (!need_f32(im, x) || !mat(im, x))
    return false;
  int64_t od[MAXR], tp[2 * MAXR];
  for (int i = 0; i < r; ++i) {
    if (pads[i] < 0 || pads[i + r] < 0)
      return fail(im, "negative pads are not supported");
    od[i] = x->dims[i] + pads[i] + pads[i + r];
  }
  for (int i = 0; i < r; ++i) {
    int l = r == 4 ? TO_NHWC[i] : i;
    tp[2 * i] = pads[l];
    tp[2 * i + 1] = pads[l + r];
  }
  value *o = output(im, 0, ET_F32, r, od);
  if (!o)
    return false;
  int64_t pd[MAXR];
  phys_dims(r, x->dims, pd);
  int id = emit_pad_concat(im, vref(x), ET_F32, r, pd, tp, cval);
  if (id < 0) { /* nothing to pad */
    o->id = x->id;
    o->is_arg = x->is_arg;
  } else
    o->id = id;
  return true;
}

static bool op_constant(importer *im) {
  if (im->node->n_attribute != 1)
    return fail(im, "exactly one value attribute is expected");
  const Onnx__AttributeProto *a = im->node->attribute[0];
  int et, rank;
  int64_t dims[MAXR];
  void *data;
  if (!strcmp(a->name, "value") && a->t) {
    if (!tensor_data(im, a->t, &et, &rank, dims, &data))
      return false;
  } else if (!strcmp(a->name, "value_float")) {
    et = ET_F32, rank = 0, data = coopt_xmalloc(4), *(float *)data = a->f;
  } else if (!strcmp(a->name, "value_floats")) {
    et = ET_F32, rank = 1, dims[0] = (int64_t)a->n_floats;
    data = coopt_xmalloc(a->n_floats * 4 + 4);
    memcpy(data, a->floats, a->n_floats * 4);
  } else if (!strcmp(a->name, "value_int")) {
    et = ET_I64, rank = 0, data = coopt_xmalloc(8), *(int64_t *)data = a->i;
  } else if (!strcmp(a->name, "value_ints")) {
    et = ET_I64, rank = 1, dims[0] = (int64_t)a->n_ints;
    data = coopt_xmalloc(a->n_ints * 8 + 8);
    memcpy(data, a->ints, a->n_ints * 8);
  } else
    return fail(im, "attribute '%s' is not supported", a->name);
  value *o = add_value(im, im->node->output[0], et, rank, dims);
  o->data = data;
  return true;
}

static bool op_identity(importer *im, bool dropout) {
  if (dropout) {
    if (!check_attrs(im, (const char *const[]){"seed", "ratio", NULL}))
      return false;
    if (im->node->n_output > 1 && im->node->output[1][0])
      return fail(im, "the mask output is not supported (inference only)");
    if (has_input(im, 2)) {
      value *t = input(im, 2);
      if (!t || !t->data || *(uint8_t *)t->data)
        return fail(im, "training_mode must be a constant false (inference only)");
    }
  } else if (!check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *x = input(im, 0);
  if (!x)
    return false;
  value copy = *x;
  value *o = add_value(im, im->node->output[0], copy.et, copy.rank, copy.dims);
  o->id = copy.id;
  o->is_arg = copy.is_arg;
  if (copy.data)
    o->data = copy_data(&copy);
  return true;
}

static bool op_batchnorm(importer *im) {
  if (!check_attrs(im, (const char *const[]){"epsilon", "momentum", "training_mode", "spatial", NULL}))
    return false;
  if (attr_i(im->node, "training_mode", 0) != 0)
    return fail(im, "training_mode is not supported (inference only)");
  for (size_t i = 1; i < im->node->n_output; ++i)
    if (im->node->output[i][0])
      return fail(im, "training outputs are not supported");
  value *x = input(im, 0), *p[4];
  if (!x || !need_f32(im, x) || x->rank < 2)
    return x ? fail(im, "the input must have a channel axis") : false;
  int64_t C = x->dims[1];
  for (int i = 0; i < 4; ++i) {
    p[i] = input(im, (size_t)i + 1);
    if (!p[i] || !p[i]->data || p[i]->et != ET_F32 || numel(p[i]->dims, p[i]->rank) != C)
      return p[i] ? fail(im, "scale, bias, mean and var must be constant f32 vectors of %lld", (long long)C) : false;
  }
  float eps = attr_f(im->node, "epsilon", 1e-5f);
  /* y = x * a + b with a = scale / sqrt(var + eps), b = bias - mean * a. */
  float *ad = coopt_xmalloc((size_t)C * 4), *bd = coopt_xmalloc((size_t)C * 4);
  for (int64_t c = 0; c < C; ++c) {
    float a = ((float *)p[0]->data)[c] / sqrtf(((float *)p[3]->data)[c] + eps);
    ad[c] = a;
    bd[c] = ((float *)p[1]->data)[c] - ((float *)p[2]->data)[c] * a;
  }
  int64_t cd[MAXR];
  for (int i = 0; i < x->rank - 1; ++i)
    cd[i] = 1;
  cd[0] = C;
  value *av = temp_const(im, ET_F32, x->rank - 1, cd, ad), *bv = temp_const(im, ET_F32, x->rank - 1, cd, bd);
  value *m = emit_binary(im, BIN_MUL, x, av, "\x01bn");
  return m && emit_binary(im, BIN_ADD, m, bv, im->node->output[0]);
}

/* ------------------------------------------------------------------ */
/* quantized ops                                                        */
/*
 * 8-bit integers are i8 bits (ET_U8 unsigned, ET_I8 signed).  Integer
 * convolutions and matmuls are computed on exact integer-valued f32 (x - zp)
 * and (w - zp): products are below 2^16 and sums stay exact below 2^24, which
 * covers the K of these layers; larger ones are refused.  Requantization
 * follows ONNX's reference order: round_half_even(acc * (x_scale * w_scale /
 * y_scale)) + y_zero_point, saturated.
 */

static bool is_int8(int et) { return et == ET_I8 || et == ET_U8; }

/* i32 SSA value of v (u8 zero-extended). */
static int to_i32(importer *im, value *v) {
  if (!mat(im, v))
    return -1;
  int64_t pd[MAXR];
  phys_dims(v->rank, v->dims, pd);
  if (v->et == ET_I32)
    return v->id;
  int c = emit_cast(im, vref(v), v->et, ET_I32, v->rank, pd);
  if (v->et != ET_U8)
    return c;
  int32_t *mask = coopt_xmalloc(4);
  *mask = 255;
  int64_t *ones = ones_dims(v->rank);
  int64_t one_pd[MAXR];
  memcpy(one_pd, ones, (size_t)v->rank * sizeof(int64_t));
  int m = emit_const(im, ET_I32, v->rank, one_pd, mask);
  free(mask);
  int a = im->next_id++;
  line(im, "%s = tosa.bitwise_and %s, %s : (%s, %s) -> %s", ref_id(a), ref_id(c), ref_id(m), ttype(ET_I32, v->rank, pd),
       ttype(ET_I32, v->rank, one_pd), ttype(ET_I32, v->rank, pd));
  return a;
}

static value *value_of(importer *im, const char *name, int et, int rank, const int64_t *dims, int id) {
  value *v = add_value(im, name, et, rank, dims);
  v->id = id;
  return v;
}

/* A per-tensor or per-axis parameter (scale / zero point) as a constant
 * broadcastable against a rank-`rank` logical tensor along `axis`. */
static value *param_const(importer *im, value *p, int rank, int axis, int et, bool as_float, const char *what) {
  if (!p->data)
    return fail_not_const(im, p, what), NULL;
  int64_t n = numel(p->dims, p->rank);
  if (p->rank > 1 || (n != 1 && (axis < 0 || axis >= rank)))
    return fail(im, "%s must be a scalar or a 1-D per-axis tensor", what), NULL;
  int64_t d[MAXR];
  for (int i = 0; i < rank; ++i)
    d[i] = 1;
  if (n != 1)
    d[axis] = n;
  void *data = coopt_xmalloc((size_t)n * 4);
  for (int64_t i = 0; i < n; ++i) {
    double x = p->et == ET_F32   ? ((float *)p->data)[i]
               : p->et == ET_U8  ? ((uint8_t *)p->data)[i]
               : p->et == ET_I8  ? ((int8_t *)p->data)[i]
               : p->et == ET_I32 ? ((int32_t *)p->data)[i]
                                 : 0;
    if (as_float)
      ((float *)data)[i] = (float)x;
    else
      ((int32_t *)data)[i] = (int32_t)x;
  }
  return temp_const(im, et, rank, d, data);
}

/* Zero point of an optional input, as a value (zeros when absent). */
static bool zero_point(importer *im, size_t idx, int rank, int axis, int *et_out, value **out) {
  if (!has_input(im, idx)) {
    int32_t *z = coopt_xcalloc(1, 4);
    *out = temp_const(im, ET_I32, rank, ones_dims(rank), z);
    return true;
  }
  value *zp = input(im, idx);
  if (!zp)
    return false;
  if (!is_int8(zp->et) && zp->et != ET_I32)
    return fail(im, "zero point type %s is not supported", et_user_name(zp->et));
  *et_out = zp->et;
  *out = param_const(im, zp, rank, axis, ET_I32, false, "the zero point");
  return *out != NULL;
}

/* f32 value of (x - zp) for an integer x. */
static value *centered_f32(importer *im, value *x, value *zp) {
  int xi = to_i32(im, x);
  if (xi < 0)
    return NULL;
  value *xv = value_of(im, "\x01qi", ET_I32, x->rank, x->dims, xi);
  value *d = emit_binary(im, BIN_SUB, xv, zp, "\x01qd");
  if (!d)
    return NULL;
  int64_t pd[MAXR];
  phys_dims(x->rank, x->dims, pd);
  int f = emit_cast(im, vref(d), ET_I32, ET_F32, x->rank, pd);
  return value_of(im, "\x01qf", ET_F32, x->rank, x->dims, f);
}

/* Host copy of a constant integer tensor minus its zero point, as f32. */
static value *centered_const_f32(importer *im, value *w, value *zp_raw, int axis) {
  if (!w->data || !is_int8(w->et))
    return fail(im, "weights must be a constant 8-bit tensor"), NULL;
  int64_t n = numel(w->dims, w->rank), zn = zp_raw ? numel(zp_raw->dims, zp_raw->rank) : 1;
  int64_t inner = 1;
  for (int i = axis + 1; i < w->rank; ++i)
    inner *= w->dims[i];
  float *f = coopt_xmalloc((size_t)n * 4);
  for (int64_t i = 0; i < n; ++i) {
    int32_t x = w->et == ET_U8 ? ((uint8_t *)w->data)[i] : ((int8_t *)w->data)[i];
    int32_t z = 0;
    if (zp_raw) {
      int64_t c = zn == 1 ? 0 : (i / inner) % w->dims[axis];
      z = zp_raw->et == ET_U8 ? ((uint8_t *)zp_raw->data)[c] : ((int8_t *)zp_raw->data)[c];
    }
    f[i] = (float)(x - z);
  }
  return temp_const(im, ET_F32, w->rank, w->dims, f);
}

/* Weights minus their zero point as f32: folded when constant. */
static value *centered_weights(importer *im, value *w, value *zp_raw, int axis) {
  if (w->data)
    return centered_const_f32(im, w, zp_raw, axis);
  if (!is_int8(w->et))
    return fail(im, "weights must be 8-bit integers"), NULL;
  value *zp;
  if (zp_raw) {
    if (!(zp = param_const(im, zp_raw, w->rank, axis, ET_I32, false, "the weight zero point")))
      return NULL;
  } else {
    int32_t *z = coopt_xcalloc(1, 4);
    zp = temp_const(im, ET_I32, w->rank, ones_dims(w->rank), z);
  }
  return centered_f32(im, w, zp);
}

/* f32 -> round half to even -> + zp -> saturate -> 8-bit (or i32). */
static bool requantize(importer *im, value *acc, value *mult, value *zp, int out_et, const char *out_name) {
  value *t = mult ? emit_binary(im, BIN_MUL, acc, mult, "\x01rq") : acc;
  if (!t)
    return false;
  value *c = emit_clamp(im, t, -2147483520.0, 2147483520.0, "\x01rc");
  if (!c)
    return false;
  int64_t pd[MAXR];
  phys_dims(acc->rank, acc->dims, pd);
  int r = emit_cast(im, vref(c), ET_F32, ET_I32, acc->rank, pd);
  value *rv = value_of(im, "\x01ri", ET_I32, acc->rank, acc->dims, r);
  if (zp && !(rv = emit_binary(im, BIN_ADD, rv, zp, "\x01rz")))
    return false;
  if (out_et == ET_I32) {
    value *o = add_value(im, out_name, ET_I32, acc->rank, acc->dims);
    o->id = rv->id;
    return true;
  }
  value *sat = emit_clamp(im, rv, out_et == ET_U8 ? 0 : -128, out_et == ET_U8 ? 255 : 127, "\x01rs");
  if (!sat)
    return false;
  int q = emit_cast(im, vref(sat), ET_I32, ET_I8, acc->rank, pd);
  value *o = add_value(im, out_name, out_et, acc->rank, acc->dims);
  o->id = q;
  return true;
}

static int quant_axis(importer *im, int rank) {
  int64_t axis = attr_i(im->node, "axis", 1);
  if (axis < 0)
    axis += rank;
  return (int)axis;
}

/* Quantization parameters a QDQ graph must agree on: a positive, finite
 * scale with one entry (per tensor) or one per element of `axis`, and a
 * zero point of the same length.  Anything else is refused rather than
 * broadcast into a silently different model. */
static bool check_qparams(importer *im, value *x, value *s, int axis) {
  if (!s->data)
    return fail_not_const(im, s, "the scale");
  if (s->et != ET_F32)
    return fail(im, "the scale must be f32");
  int64_t n = numel(s->dims, s->rank);
  if (n < 1)
    return fail(im, "the scale is empty");
  for (int64_t i = 0; i < n; ++i) {
    float f = ((float *)s->data)[i];
    if (!(isfinite(f) && f > 0))
      return fail(im, "the scale must be positive and finite (entry %lld is %g)", (long long)i, (double)f);
  }
  if (n != 1 && (axis < 0 || axis >= x->rank || x->dims[axis] != n))
    return fail(im, "the scale has %lld entries but axis %d of the %d-D input has %lld elements", (long long)n, axis,
                x->rank, axis >= 0 && axis < x->rank ? (long long)x->dims[axis] : 0LL);
  if (has_input(im, 2)) {
    value *zp = input(im, 2);
    if (!zp)
      return false;
    if (numel(zp->dims, zp->rank) != n)
      return fail(im, "the zero point has %lld entries but the scale has %lld", (long long)numel(zp->dims, zp->rank),
                  (long long)n);
  }
  return true;
}

/* A round-tripping f64 literal MLIR reads as a float (never "4", which
 * the parser takes for an integer). */
static void f64_literal(char *buf, size_t size, double v) {
  snprintf(buf, size, "%.17g", v);
  if (!strpbrk(buf, ".eEn"))
    snprintf(buf + strlen(buf), size - strlen(buf), ".0");
}

static bool op_quantize(importer *im) {
  if (!check_attrs(im, (const char *const[]){"axis", "saturate", NULL}))
    return false;
  value *x = input(im, 0), *s = input(im, 1);
  if (!x || !s || !need_f32(im, x))
    return false;
  int axis = quant_axis(im, x->rank), out_et = ET_U8;
  value *zp;
  if (!check_qparams(im, x, s, axis) || !zero_point(im, 2, x->rank, axis, &out_et, &zp))
    return false;
  if (!is_int8(out_et))
    return fail(im, "output type %s is not supported", et_user_name(out_et));
  /* x / scale as x * (1 / scale): TOSA has no float division. */
  if (!s->data)
    return fail_not_const(im, s, "the scale");
  if (s->et != ET_F32)
    return fail(im, "the scale must be f32");
  value *inv = param_const(im, s, x->rank, axis, ET_F32, true, "the scale");
  if (!inv)
    return false;
  for (int64_t i = 0; i < numel(inv->dims, inv->rank); ++i)
    ((float *)inv->data)[i] = 1.0f / ((float *)inv->data)[i];
  /* A per-tensor quantizer of an activation states its range: the values
   * that map onto [qmin, qmax].  It is recorded on the quantizing mul as
   * coopt.qdq_range and moved onto the producer as coopt.range after
   * parsing (cooptAdoptImportedRanges), so that calibration keeps it. */
  if (!x->data && numel(s->dims, s->rank) == 1) {
    double sc = ((float *)s->data)[0], z = ((int32_t *)zp->data)[0];
    double qmin = out_et == ET_U8 ? 0 : -128, qmax = out_et == ET_U8 ? 255 : 127;
    char lo[40], hi[40];
    f64_literal(lo, sizeof lo, (qmin - z) * sc);
    f64_literal(hi, sizeof hi, (qmax - z) * sc);
    snprintf(im->mul_attrs, sizeof im->mul_attrs, " {coopt.qdq_range = array<f64: %s, %s>}", lo, hi);
  }
  return requantize(im, x, inv, zp, out_et, im->node->output[0]);
}

static bool op_dequantize(importer *im) {
  if (!check_attrs(im, (const char *const[]){"axis", NULL}))
    return false;
  value *x = input(im, 0), *s = input(im, 1);
  if (!x || !s)
    return false;
  if (!is_int8(x->et) && x->et != ET_I32)
    return fail(im, "input type %s is not supported", et_user_name(x->et));
  int axis = quant_axis(im, x->rank), zet = x->et;
  value *zp, *sc;
  if (!check_qparams(im, x, s, axis) || !zero_point(im, 2, x->rank, axis, &zet, &zp))
    return false;
  if (!(sc = param_const(im, s, x->rank, axis, ET_F32, true, "the scale")))
    return false;
  value *c = centered_f32(im, x, zp);
  return c && emit_binary(im, BIN_MUL, c, sc, im->node->output[0]);
}

/* Run op_conv / op_matmul on prepared f32 operands. */
static value *float_core(importer *im, bool conv, value *x, value *w, value *b) {
  im->in_override[0] = x;
  im->in_override[1] = w;
  im->in_override[2] = b;
  im->override_active = true;
  im->out_override = "\x01core";
  bool ok = conv ? op_conv(im) : op_matmul(im);
  im->in_override[0] = im->in_override[1] = im->in_override[2] = NULL;
  im->override_active = false;
  im->out_override = NULL;
  return ok ? find(im, "\x01core") : NULL;
}

static bool exact_enough(importer *im, value *w, bool conv) {
  /* |(x - zp)(w - zp)| <= 255^2 per product: the f32 sum is exact below 2^24. */
  int64_t K = conv ? numel(w->dims + 1, w->rank - 1) : w->dims[w->rank - 2];
  if (K * 65025 > (1 << 24))
    return fail(im, "reduction of %lld products could exceed f32's exact integers (at most 258 supported)",
                (long long)K);
  return true;
}

/* ConvInteger / MatMulInteger: i32 results. */
static bool op_integer(importer *im, bool conv) {
  if (conv && !check_attrs(
                  im, (const char *const[]){"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL}))
    return false;
  if (!conv && !check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *x = input(im, 0), *w = input(im, 1);
  if (!x || !w)
    return false;
  if (!is_int8(x->et) || !is_int8(w->et))
    return fail(im, "inputs must be 8-bit integers");
  if (x->rank != (conv ? 4 : x->rank))
    return fail(im, "only 2-D ConvInteger is supported");
  int zet = x->et;
  value *xzp;
  if (!zero_point(im, 2, x->rank, -1, &zet, &xzp))
    return false;
  value *wzp_raw = has_input(im, 3) ? input(im, 3) : NULL;
  if (has_input(im, 3) && (!wzp_raw || !wzp_raw->data))
    return wzp_raw ? fail_not_const(im, wzp_raw, "the weight zero point") : false;
  if (!exact_enough(im, w, conv))
    return false;
  value *xf = centered_f32(im, x, xzp), *wf = centered_weights(im, w, wzp_raw, conv ? 0 : w->rank - 1);
  if (!xf || !wf)
    return false;
  value *acc = float_core(im, conv, xf, wf, NULL);
  return acc && requantize(im, acc, NULL, NULL, ET_I32, im->node->output[0]);
}

/* QLinearConv / QLinearMatMul. */
static bool op_qlinear(importer *im, bool conv) {
  if (conv && !check_attrs(
                  im, (const char *const[]){"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides", NULL}))
    return false;
  if (!conv && !check_attrs(im, (const char *const[]){NULL}))
    return false;
  value *x = input(im, 0), *xs = input(im, 1), *xzr = input(im, 2), *w = input(im, 3), *ws = input(im, 4),
        *wzr = input(im, 5), *ys = input(im, 6), *yzr = input(im, 7);
  value *b = conv && has_input(im, 8) ? input(im, 8) : NULL;
  if (!x || !xs || !xzr || !w || !ws || !wzr || !ys || !yzr || (conv && has_input(im, 8) && !b))
    return false;
  if (!is_int8(x->et) || !is_int8(w->et) || !is_int8(yzr->et))
    return fail(im, "8-bit inputs and output are required");
  value *params[5] = {xs, ws, ys, yzr, wzr};
  static const char *const pnames[5] = {"the input scale", "the weight scale", "the output scale",
                                        "the output zero point", "the weight zero point"};
  for (int i = 0; i < 5; ++i)
    if (!params[i]->data)
      return fail_not_const(im, params[i], pnames[i]);
  if (xs->et != ET_F32 || ws->et != ET_F32 || ys->et != ET_F32 || numel(xs->dims, xs->rank) != 1 ||
      numel(ys->dims, ys->rank) != 1 || !yzr->data || numel(yzr->dims, yzr->rank) != 1)
    return fail(im, "scales and zero points must be constants (per tensor, except the weights')");
  if (!exact_enough(im, w, conv))
    return false;
  int zet = x->et;
  value *xzp;
  if (!zero_point(im, 2, x->rank, -1, &zet, &xzp))
    return false;
  int w_axis = conv ? 0 : w->rank - 1;
  value *xf = centered_f32(im, x, xzp), *wf = centered_weights(im, w, wzr, w_axis);
  if (!xf || !wf)
    return false;
  value *bf = NULL;
  if (b) {
    if (!b->data || b->et != ET_I32 || b->rank != 1)
      return fail(im, "the bias must be a constant i32 vector");
    int64_t n = b->dims[0];
    float *bd = coopt_xmalloc((size_t)n * 4);
    for (int64_t i = 0; i < n; ++i)
      bd[i] = (float)((int32_t *)b->data)[i];
    bf = temp_const(im, ET_F32, 1, b->dims, bd);
  }
  value *acc = float_core(im, conv, xf, wf, bf);
  if (!acc)
    return false;
  /* multiplier = x_scale * w_scale / y_scale in f32, per output channel */
  int64_t nw = numel(ws->dims, ws->rank);
  float *m = coopt_xmalloc((size_t)nw * 4);
  for (int64_t i = 0; i < nw; ++i)
    m[i] = *(float *)xs->data * ((float *)ws->data)[i] / *(float *)ys->data;
  int64_t md[1] = {nw};
  value *mv = temp_const(im, ET_F32, nw == 1 ? 0 : 1, md, m);
  int out_axis = conv ? 1 : acc->rank - 1;
  value *mult = param_const(im, mv, acc->rank, out_axis, ET_F32, true, "the weight scale");
  int yet = yzr->et;
  value *yzp = param_const(im, yzr, acc->rank, -1, ET_I32, false, "the output zero point");
  return mult && yzp && requantize(im, acc, mult, yzp, yet, im->node->output[0]);
}

static bool op_max_pool(importer *im) { return op_pool(im, true, false); }
static bool op_avg_pool(importer *im) { return op_pool(im, false, false); }

/* ------------------------------------------------------------------ */
/* graph                                                                */

static bool dispatch(importer *im) {
  const char *op = im->node->op_type;
  if (im->node->domain && im->node->domain[0] && strcmp(im->node->domain, "ai.onnx"))
    return fail(im, "operator domain '%s' is not supported", im->node->domain);
  if (!strcmp(op, "Conv"))
    return op_conv_any(im);
  if (!strcmp(op, "Gemm"))
    return op_gemm(im);
  if (!strcmp(op, "MatMul"))
    return op_matmul(im);
  if (!strcmp(op, "BatchNormalization"))
    return op_batchnorm(im);
  if (!strcmp(op, "Relu"))
    return op_relu(im);
  if (!strcmp(op, "Clip"))
    return op_clip(im);
  if (!strcmp(op, "LeakyRelu"))
    return op_leaky_relu(im);
  if (!strcmp(op, "Sigmoid"))
    return op_unary(im, "tosa.sigmoid");
  if (!strcmp(op, "Tanh"))
    return op_unary(im, "tosa.tanh");
  if (!strcmp(op, "AveragePool") || !strcmp(op, "MaxPool")) {
    value *x = input(im, 0);
    if (!x)
      return false;
    bool is_max = op[0] == 'M';
    if (x->rank == 3)
      return lifted_1d(im, false, is_max ? op_max_pool : op_avg_pool);
    return op_pool(im, is_max, false);
  }
  if (!strcmp(op, "GlobalAveragePool"))
    return op_pool(im, false, true);
  if (!strcmp(op, "Add"))
    return op_binary(im, BIN_ADD);
  if (!strcmp(op, "Sub"))
    return op_binary(im, BIN_SUB);
  if (!strcmp(op, "Mul"))
    return op_binary(im, BIN_MUL);
  if (!strcmp(op, "Div"))
    return op_binary(im, BIN_DIV);
  if (!strcmp(op, "Reshape")) {
    if (im->opset < 5)
      return fail(im, "Reshape before opset 5 (shape attribute) is not supported");
    return op_reshape(im);
  }
  if (!strcmp(op, "Flatten"))
    return op_flatten(im);
  if (!strcmp(op, "Transpose"))
    return op_transpose(im);
  if (!strcmp(op, "Softmax"))
    return op_softmax(im);
  if (!strcmp(op, "Concat"))
    return op_concat(im);
  if (!strcmp(op, "Pad"))
    return op_pad(im);
  if (!strcmp(op, "Squeeze"))
    return op_squeeze(im);
  if (!strcmp(op, "Unsqueeze"))
    return op_unsqueeze(im);
  if (!strcmp(op, "Constant"))
    return op_constant(im);
  if (!strcmp(op, "Identity"))
    return op_identity(im, false);
  if (!strcmp(op, "Dropout"))
    return op_identity(im, true);
  if (!strcmp(op, "QuantizeLinear"))
    return op_quantize(im);
  if (!strcmp(op, "DequantizeLinear"))
    return op_dequantize(im);
  if (!strcmp(op, "ConvInteger"))
    return op_integer(im, true);
  if (!strcmp(op, "MatMulInteger"))
    return op_integer(im, false);
  if (!strcmp(op, "QLinearConv"))
    return op_qlinear(im, true);
  if (!strcmp(op, "QLinearMatMul"))
    return op_qlinear(im, false);
  return fail(im, "operator is not supported");
}

static bool graph_input(importer *im, const Onnx__ValueInfoProto *vi, int index, int position, coopt_buf *sig) {
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
    return fail(im, "graph input '%s' is not a tensor", vi->name);
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  int et = tt->elem_type;
  if (et != ET_F32 && et != ET_I8 && et != ET_U8 && et != ET_I32)
    return et == ET_I64 ? fail(im,
                               "graph input '%s' has ONNX data type 7 (int64) (graph input #%d: bind it to a constant "
                               "with --bind)",
                               vi->name, position)
                        : fail(im, "graph input '%s' has ONNX data type %d, which is not supported", vi->name, et);
  if (!tt->shape)
    return fail(im, "graph input '%s' has no shape", vi->name);
  if (tt->shape->n_dim > MAXR)
    return fail(im, "graph input '%s' has rank %zu (at most %d supported)", vi->name, tt->shape->n_dim, MAXR);
  int64_t dims[MAXR];
  int rank = (int)tt->shape->n_dim;
  for (int i = 0; i < rank; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value > 0)
      dims[i] = d->dim_value;
    else if (i == 0 && im->batch > 0)
      dims[i] = im->batch;
    else if (i == 0)
      return fail(im, "graph input '%s' has a dynamic batch dimension; give --batch=N", vi->name);
    else
      return fail(im, "graph input '%s' has a dynamic dimension %d, which is not supported", vi->name, i);
  }
  /* A shape may name more elements than int64 counts; every size computed
   * from it later (buffers, loops, the runner's inputs) would overflow. */
  int64_t count = 1;
  for (int i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(count, dims[i], &count) || count > MAX_INPUT_ELEMENTS)
      return fail(im, "graph input '%s' has more than %lld elements", vi->name, (long long)MAX_INPUT_ELEMENTS);
  value *v = add_value(im, vi->name, et, rank, dims);
  v->is_arg = true;
  v->id = index;
  v->input_pos = position;
  char loc[600];
  memcpy(loc, im->loc, sizeof loc);
  set_loc(im, vi->name);
  coopt_buf_printf(sig, "%s%%arg%d: %s%s %s", index ? ", " : "", index, ttype(et, rank, dims),
                   et == ET_U8 ? " {coopt.unsigned}" : "", im->loc);
  if (rank == 4) {
    /* The interface is NCHW; inside, activations are NHWC. */
    char src[32];
    snprintf(src, sizeof src, "%%arg%d", index);
    int id = emit_transpose(im, src, et, 4, dims, TO_NHWC);
    v->is_arg = false;
    v->id = id;
    snprintf(v->logical, sizeof v->logical, "%s", src);
  }
  memcpy(im->loc, loc, sizeof loc);
  return true;
}

/* protobuf-c leaves absent optional strings NULL: check every string the
 * importer reads, once, so that a corrupt model is a diagnostic. */
static bool validate_strings(importer *im, const Onnx__GraphProto *g) {
  for (size_t i = 0; i < g->n_node; ++i) {
    const Onnx__NodeProto *n = g->node[i];
    if (!n->op_type || !*n->op_type)
      return fail(im, "node #%zu has no op_type", i);
    for (size_t k = 0; k < n->n_attribute; ++k)
      if (!n->attribute[k]->name)
        return fail(im, "node #%zu (%s) has an attribute without a name", i, n->op_type);
    for (size_t k = 0; k < n->n_input; ++k)
      if (!n->input[k])
        return fail(im, "node #%zu (%s) has a null input name", i, n->op_type);
    if (n->n_output == 0)
      return fail(im, "node #%zu (%s) has no outputs", i, n->op_type);
    for (size_t k = 0; k < n->n_output; ++k)
      if (!n->output[k])
        return fail(im, "node #%zu (%s) has a null output name", i, n->op_type);
  }
  for (size_t i = 0; i < g->n_initializer; ++i)
    if (!g->initializer[i]->name || !*g->initializer[i]->name)
      return fail(im, "initializer #%zu has no name", i);
  for (size_t i = 0; i < g->n_input; ++i)
    if (!g->input[i]->name || !*g->input[i]->name)
      return fail(im, "graph input #%zu has no name", i);
  for (size_t i = 0; i < g->n_output; ++i)
    if (!g->output[i]->name || !*g->output[i]->name)
      return fail(im, "graph output #%zu has no name", i);
  return true;
}

static void append_string_attr(coopt_buf *b, const char *s) {
  coopt_buf_putc(b, '"');
  for (const char *p = s; *p; ++p) {
    if (*p == '"' || *p == '\\')
      coopt_buf_putc(b, '\\');
    if ((unsigned char)*p < 0x20)
      coopt_buf_printf(b, "\\%02X", (unsigned char)*p);
    else
      coopt_buf_putc(b, *p);
  }
  coopt_buf_putc(b, '"');
}

MlirLogicalResult cooptImportOnnx(const char *path, const coopt_onnx_import_options *options, MlirStringCallback text,
                                  void *text_data, MlirStringCallback error, void *error_data) {
  importer im;
  memset(&im, 0, sizeof im);
  im.zero_f32 = im.shift0 = -1;
  im.batch = options ? options->batch : 0;
  coopt_buf file, out, sig;
  coopt_buf_init(&file);
  coopt_buf_init(&out);
  coopt_buf_init(&sig);
  coopt_buf_init(&im.body);
  Onnx__ModelProto *model = NULL;
  if (!coopt_read_file(path, &file)) {
    fail(&im, "cannot read '%s': %s", path, strerror(errno));
    goto done;
  }
  model = onnx__model_proto__unpack(NULL, file.size, (const uint8_t *)file.data);
  if (!model) {
    fail(&im, "not a valid ONNX model (truncated or corrupt protobuf)");
    goto done;
  }
  if (!model->graph) {
    fail(&im, "the model has no graph");
    goto done;
  }
  im.opset = -1;
  for (size_t i = 0; i < model->n_opset_import; ++i) {
    const char *d = model->opset_import[i]->domain;
    if (!d || !*d || !strcmp(d, "ai.onnx"))
      im.opset = (int)model->opset_import[i]->version;
  }
  if (im.opset < 1 || im.opset > 18) {
    fail(&im, "opset %d of the default domain is not supported (1 to 18)", im.opset);
    goto done;
  }
  const Onnx__GraphProto *g = model->graph;
  if (!validate_strings(&im, g))
    goto done;
  set_loc(&im, "initializers");
  for (size_t i = 0; i < g->n_initializer; ++i) {
    const Onnx__TensorProto *t = g->initializer[i];
    int et, rank;
    int64_t dims[MAXR];
    void *data;
    if (!tensor_data(&im, t, &et, &rank, dims, &data))
      goto done;
    value *v = add_value(&im, t->name, et, rank, dims);
    v->data = data;
  }
  int nargs = 0, position = 0;
  size_t used_bindings = 0;
  for (size_t i = 0; i < g->n_input; ++i) {
    bool is_init = false;
    for (size_t k = 0; k < g->n_initializer; ++k)
      is_init |= !strcmp(g->initializer[k]->name, g->input[i]->name);
    if (is_init)
      continue; /* older IR versions list initializers as inputs too */
    const coopt_onnx_binding *bind = NULL;
    char hash[32];
    snprintf(hash, sizeof hash, "#%d", position++);
    for (size_t k = 0; options && k < options->num_bindings; ++k)
      if (!strcmp(options->bindings[k].name, g->input[i]->name) || !strcmp(options->bindings[k].name, hash))
        bind = &options->bindings[k];
    if (bind) {
      /* A bound input is a constant of exactly the declared type. */
      const Onnx__TypeProto *tp = g->input[i]->type;
      int declared = tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type
                         ? tp->tensor_type->elem_type
                         : bind->onnx_type;
      size_t es = cooptOnnxTypeSize(bind->onnx_type);
      if (declared != bind->onnx_type || bind->rank > MAXR || !es) {
        fail(&im, "binding for graph input '%s' has ONNX data type %d, the input is declared %d", g->input[i]->name,
             bind->onnx_type, declared);
        goto done;
      }
      value *v = add_value(&im, g->input[i]->name, bind->onnx_type, bind->rank, bind->dims);
      size_t bytes = (size_t)numel(bind->dims, bind->rank) * es;
      v->data = coopt_xmalloc(bytes ? bytes : 1);
      memcpy(v->data, bind->data, bytes);
      ++used_bindings;
      continue;
    }
    if (!graph_input(&im, g->input[i], nargs++, position - 1, &sig))
      goto done;
  }
  if (options && used_bindings != options->num_bindings) {
    fail(&im, "a binding names no graph input of the model");
    goto done;
  }
  for (size_t i = 0; i < g->n_node; ++i) {
    im.node = g->node[i];
    char fallback[64];
    snprintf(fallback, sizeof fallback, "%s_%zu", im.node->op_type, i);
    set_loc(&im, im.node->name && *im.node->name ? im.node->name : fallback);
    if (!dispatch(&im))
      goto done;
  }
  im.node = NULL;
  coopt_buf rets, rtypes, rsig;
  coopt_buf_init(&rets);
  coopt_buf_init(&rtypes);
  coopt_buf_init(&rsig);
  set_loc(&im, "outputs");
  bool ok = g->n_output > 0 || fail(&im, "the graph has no outputs");
  for (size_t i = 0; i < g->n_output && ok; ++i) {
    value *v = find(&im, g->output[i]->name);
    if (!v) {
      ok = fail(&im, "graph output '%s' is not produced by any node", g->output[i]->name);
      break;
    }
    const char *r = logical_ref(&im, v);
    if (!r) {
      ok = false;
      break;
    }
    coopt_buf_printf(&rets, "%s%s", i ? ", " : "", r);
    coopt_buf_printf(&rtypes, "%s%s", i ? ", " : "", ttype(v->et, v->rank, v->dims));
    coopt_buf_printf(&rsig, "%s%s%s", i ? ", " : "", ttype(v->et, v->rank, v->dims),
                     v->et == ET_U8 ? " {coopt.unsigned}" : "");
  }
  if (ok) {
    /* A newline in the path would end the comment and start MLIR text. */
    coopt_buf_printf(&out, "// Imported from ");
    for (const char *p = path; *p; ++p)
      coopt_buf_putc(&out, (unsigned char)*p < 0x20 ? '?' : *p);
    coopt_buf_printf(&out, " by coopt-translate --import-onnx\n");
    coopt_buf_printf(&out, "module attributes {coopt.onnx_opset = %d : i64", im.opset);
    if (model->n_metadata_props) {
      coopt_buf_puts(&out, ", coopt.metadata = {");
      /* A dictionary attribute takes each key once and no empty key (fuzz-
       * onnx: a repeated key made the text unparsable); the first wins. */
      for (size_t i = 0, kept = 0; i < model->n_metadata_props; ++i) {
        const char *key = model->metadata_props[i]->key;
        bool repeated = !key || !*key;
        for (size_t j = 0; j < i && !repeated; ++j)
          repeated = model->metadata_props[j]->key && !strcmp(model->metadata_props[j]->key, key);
        if (repeated)
          continue;
        if (kept++)
          coopt_buf_puts(&out, ", ");
        append_string_attr(&out, key);
        coopt_buf_puts(&out, " = ");
        append_string_attr(&out, model->metadata_props[i]->value ? model->metadata_props[i]->value : "");
      }
      coopt_buf_puts(&out, "}");
    }
    coopt_buf_printf(&out, "} {\n  func.func @main(%s) -> (%s) attributes {coopt.input_names = [",
                     sig.data ? sig.data : "", rsig.data);
    for (size_t i = 0, k = 0; i < g->n_input; ++i) {
      bool is_init = false;
      for (size_t j = 0; j < g->n_initializer; ++j)
        is_init |= !strcmp(g->initializer[j]->name, g->input[i]->name);
      if (is_init)
        continue;
      if (k++)
        coopt_buf_puts(&out, ", ");
      append_string_attr(&out, g->input[i]->name);
    }
    coopt_buf_puts(&out, "], coopt.output_names = [");
    for (size_t i = 0; i < g->n_output; ++i) {
      if (i)
        coopt_buf_puts(&out, ", ");
      append_string_attr(&out, g->output[i]->name);
    }
    coopt_buf_puts(&out, "]} {\n");
    coopt_buf_append(&out, im.body.data ? im.body.data : "", im.body.size);
    coopt_buf_printf(&out, "    return %s : %s\n  }\n}\n", rets.data, rtypes.data);
  }
  coopt_buf_free(&rets);
  coopt_buf_free(&rtypes);
  coopt_buf_free(&rsig);
done:
  if (model)
    onnx__model_proto__free_unpacked(model, NULL);
  for (size_t i = 0; i < im.nvals; ++i) {
    free(im.vals[i].name);
    free(im.vals[i].data);
  }
  free(im.vals);
  coopt_buf_free(&im.body);
  coopt_buf_free(&file);
  coopt_buf_free(&sig);
  MlirLogicalResult result;
  if (im.failed) {
    if (error)
      error(mlirStringRefCreateFromCString(im.err), error_data);
    result = mlirLogicalResultFailure();
  } else {
    text(mlirStringRefCreate(out.data ? out.data : "", out.size), text_data);
    result = mlirLogicalResultSuccess();
  }
  coopt_buf_free(&out);
  return result;
}
