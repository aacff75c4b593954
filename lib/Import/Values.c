/*
 * The importer's value table and emission primitives.  A value is an ONNX
 * tensor name with its logical (ONNX-order) shape; it is an SSA value once
 * emitted, a function argument, or a constant whose contents are kept here
 * and emitted lazily (in physical layout) at its first use, so that layout
 * changes fold into the data instead of becoming ops.
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const int TO_NHWC[4] = {0, 2, 3, 1};
const int TO_NCHW[4] = {0, 3, 1, 2};

bool im_fail(importer *im, const char *fmt, ...) {
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

/* Every value holds one of the supported types (checked where values are
 * created), so the size is never 0. */
size_t im_et_size(int et) { return cooptOnnxTypeSize(et); }

const char *im_et_name(int et) {
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

const char *im_et_user_name(int et) { return et == ET_U8 ? "ui8" : im_et_name(et); }

int64_t im_numel(const int64_t *d, int r) {
  int64_t n = 1;
  for (int i = 0; i < r; ++i)
    n *= d[i];
  return n;
}

value *im_find(importer *im, const char *name) {
  for (size_t i = im->nvals; i-- > 0;)
    if (!strcmp(im->vals[i]->name, name))
      return im->vals[i];
  return NULL;
}

value *im_add_value(importer *im, const char *name, int et, int rank, const int64_t *dims) {
  if (im->nvals == im->cap) {
    im->cap = im->cap ? 2 * im->cap : 64;
    im->vals = coopt_xrealloc(im->vals, im->cap * sizeof(value *));
  }
  value *v = coopt_xcalloc(1, sizeof *v);
  im->vals[im->nvals++] = v;
  v->name = coopt_xstrndup(name, strlen(name));
  v->et = et;
  v->rank = rank;
  memcpy(v->dims, dims, (size_t)rank * sizeof(int64_t));
  v->id = -1;
  v->input_pos = -1;
  return v;
}

/* "X must be a constant", saying how to make it one when X is a graph input. */
bool im_fail_not_const(importer *im, const value *v, const char *what) {
  if (v->input_pos >= 0)
    return im_fail(im, "%s must be a constant (graph input #%d: bind it to a constant with --bind)", what,
                   v->input_pos);
  return im_fail(im, "%s must be a constant", what);
}

/* A fresh copy of a constant's contents (at least one byte, for malloc). */
void *im_copy_data(const value *v) {
  size_t bytes = (size_t)im_numel(v->dims, v->rank) * im_et_size(v->et);
  void *d = coopt_xmalloc(bytes ? bytes : 1);
  memcpy(d, v->data, bytes);
  return d;
}

/* Physical layout: rank-4 values are NHWC. */
void im_phys_dims(int rank, const int64_t *logical, int64_t *out) {
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

const char *im_ttype(int et, int rank, const int64_t *pd) {
  char *b = scratch();
  size_t u = (size_t)snprintf(b, 256, "tensor<");
  for (int i = 0; i < rank; ++i)
    u += (size_t)snprintf(b + u, 256 - u, "%lldx", (long long)pd[i]);
  snprintf(b + u, 256 - u, "%s>", im_et_name(et));
  return b;
}

const char *im_vtype(const value *v) {
  int64_t pd[MAXR];
  im_phys_dims(v->rank, v->dims, pd);
  return im_ttype(v->et, v->rank, pd);
}

const char *im_ref_id(int id) {
  char *b = scratch();
  snprintf(b, 256, "%%v%d", id);
  return b;
}

const char *im_vref(const value *v) {
  char *b = scratch();
  if (v->is_arg)
    snprintf(b, 256, "%%arg%d", v->id);
  else
    snprintf(b, 256, "%%v%d", v->id);
  return b;
}

void im_line(importer *im, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  coopt_buf_puts(&im->body, "    ");
  coopt_buf_vprintf(&im->body, fmt, ap);
  coopt_buf_printf(&im->body, " %s\n", im->loc);
  va_end(ap);
}

void im_set_loc(importer *im, const char *name) {
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

int im_emit_const(importer *im, int et, int rank, const int64_t *pd, const void *data) {
  int id = im->next_id++;
  int64_t n = im_numel(pd, rank);
  size_t es = im_et_size(et);
  const char *t = im_ttype(et, rank, pd);
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

int im_zero_f32(importer *im) {
  if (im->zero_f32 < 0) {
    int64_t one = 1;
    float z = 0;
    im->zero_f32 = im_emit_const(im, ET_F32, 1, &one, &z);
  }
  return im->zero_f32;
}

int im_shift0(importer *im) {
  if (im->shift0 < 0) {
    int64_t one = 1;
    int8_t z = 0;
    im->shift0 = im_emit_const(im, ET_I8, 1, &one, &z);
  }
  return im->shift0;
}

int im_const_shape(importer *im, int n, const int64_t *v) {
  int id = im->next_id++;
  coopt_buf_printf(&im->body, "    %%v%d = tosa.const_shape {values = dense<[", id);
  for (int i = 0; i < n; ++i)
    coopt_buf_printf(&im->body, "%s%lld", i ? ", " : "", (long long)v[i]);
  coopt_buf_printf(&im->body, "]> : tensor<%dxindex>} : () -> !tosa.shape<%d> %s\n", n, n, im->loc);
  return id;
}

/* Permute host data: out[index in out dims] = in[...] with out dim i = in dim perm[i]. */
void *im_permute_data(const void *in, size_t es, int rank, const int64_t *in_dims, const int *perm) {
  int64_t n = im_numel(in_dims, rank), out_dims[MAXR], in_stride[MAXR], idx[MAXR] = {0};
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

/* Make sure v has an SSA value (emits constants lazily, in physical layout). */
bool im_mat(importer *im, value *v) {
  if (v->id >= 0)
    return true;
  if (!v->data)
    return im_fail(im, "value '%s' has no definition", v->name);
  int64_t pd[MAXR];
  im_phys_dims(v->rank, v->dims, pd);
  if (v->rank == 4) {
    void *p = im_permute_data(v->data, im_et_size(v->et), 4, v->dims, TO_NHWC);
    v->id = im_emit_const(im, v->et, 4, pd, p);
    free(p);
  } else
    v->id = im_emit_const(im, v->et, v->rank, pd, v->data);
  return true;
}

int im_emit_cast(importer *im, const char *src, int from, int to, int rank, const int64_t *pd) {
  int id = im->next_id++;
  const char *tf = im_ttype(from, rank, pd), *tt = im_ttype(to, rank, pd);
  im_line(im, "%s = tosa.cast %s : (%s) -> %s", im_ref_id(id), src, tf, tt);
  return id;
}

int im_emit_reshape(importer *im, const char *src, int et, int in_rank, const int64_t *in_pd, int out_rank,
                    const int64_t *out_pd) {
  if (in_rank == out_rank && !memcmp(in_pd, out_pd, (size_t)in_rank * sizeof(int64_t)) && src[1] == 'v')
    return atoi(src + 2);
  int s = im_const_shape(im, out_rank, out_pd);
  int id = im->next_id++;
  im_line(im, "%s = tosa.reshape %s, %s : (%s, !tosa.shape<%d>) -> %s", im_ref_id(id), src, im_ref_id(s),
          im_ttype(et, in_rank, in_pd), out_rank, im_ttype(et, out_rank, out_pd));
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

int im_emit_transpose(importer *im, const char *src, int et, int rank, const int64_t *in_pd, const int *perm) {
  int64_t out_pd[MAXR];
  bool identity = true;
  for (int i = 0; i < rank; ++i) {
    out_pd[i] = in_pd[perm[i]];
    identity &= perm[i] == i;
  }
  if (identity && src[1] == 'v')
    return atoi(src + 2);
  if (trivial_perm(rank, in_pd, perm) || identity)
    return im_emit_reshape(im, src, et, rank, in_pd, rank, out_pd);
  int id = im->next_id++;
  coopt_buf b;
  coopt_buf_init(&b);
  for (int i = 0; i < rank; ++i)
    coopt_buf_printf(&b, "%s%d", i ? ", " : "", perm[i]);
  im_line(im, "%s = tosa.transpose %s {perms = array<i32: %s>} : (%s) -> %s", im_ref_id(id), src, b.data,
          im_ttype(et, rank, in_pd), im_ttype(et, rank, out_pd));
  coopt_buf_free(&b);
  return id;
}

/* SSA ref of v in logical (ONNX) order. */
const char *im_logical_ref(importer *im, value *v) {
  if (!im_mat(im, v))
    return NULL;
  if (v->rank != 4)
    return im_vref(v);
  if (v->logical[0]) {
    /* e.g. right after the entry transpose: use its source, no round trip */
    char *b = scratch();
    snprintf(b, 256, "%s", v->logical);
    return b;
  }
  int64_t pd[MAXR];
  im_phys_dims(4, v->dims, pd);
  int id = im_emit_transpose(im, im_vref(v), v->et, 4, pd, TO_NCHW);
  snprintf(v->logical, sizeof v->logical, "%%v%d", id);
  return im_ref_id(id);
}

/* Define `out` from an SSA value in logical order. */
void im_define_from_logical(importer *im, value *out, const char *src) {
  if (out->rank == 4) {
    snprintf(out->logical, sizeof out->logical, "%s", src);
    out->id = im_emit_transpose(im, src, out->et, 4, out->dims, TO_NHWC);
  } else
    out->id = atoi(src + 2);
}

value *im_temp_const(importer *im, int et, int rank, const int64_t *dims, void *data) {
  char name[32];
  snprintf(name, sizeof name, "\x01tmp%zu", im->nvals);
  value *v = im_add_value(im, name, et, rank, dims);
  v->data = data;
  return v;
}

/* v in physical layout at rank R (right-aligned broadcast, 1s prepended). */
static const char *operand_at_rank(importer *im, value *v, int R, int64_t *pd_out) {
  int64_t ed[MAXR];
  int pre = R - v->rank;
  for (int i = 0; i < R; ++i)
    ed[i] = i < pre ? 1 : v->dims[i - pre];
  im_phys_dims(R, ed, pd_out);
  if (pre == 0) {
    if (!im_mat(im, v))
      return NULL;
    return im_vref(v);
  }
  if (v->data) {
    value *t = im_temp_const(im, v->et, R, ed, im_copy_data(v));
    if (!im_mat(im, t))
      return NULL;
    return im_vref(t);
  }
  const char *src = im_logical_ref(im, v);
  if (!src)
    return NULL;
  int64_t vpd[MAXR];
  memcpy(vpd, v->dims, (size_t)v->rank * sizeof(int64_t));
  int id = im_emit_reshape(im, src, v->et, v->rank, vpd, R, ed);
  if (R == 4)
    id = im_emit_transpose(im, im_ref_id(id), v->et, 4, ed, TO_NHWC);
  return im_ref_id(id);
}

value *im_emit_binary(importer *im, bin_kind k, value *a, value *b, const char *out_name) {
  if (a->et != b->et) {
    im_fail(im, "operands have different element types (%s, %s)", im_et_name(a->et), im_et_name(b->et));
    return NULL;
  }
  if (a->et != ET_F32 && a->et != ET_I32) {
    im_fail(im, "element type %s is not supported (f32 or i32)", im_et_user_name(a->et));
    return NULL;
  }
  if (k == BIN_DIV && a->et != ET_F32) {
    im_fail(im, "integer division is not supported");
    return NULL;
  }
  int R = a->rank > b->rank ? a->rank : b->rank;
  int64_t od[MAXR];
  for (int i = 0; i < R; ++i) {
    int ia = i - (R - a->rank), ib = i - (R - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) {
      im_fail(im, "shapes of '%s' and '%s' do not broadcast", a->name, b->name);
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
  im_phys_dims(R, od, po);
  const char *ta = im_ttype(a->et, R, pa), *tb = im_ttype(a->et, R, pb), *to = im_ttype(a->et, R, po);
  int id = im->next_id++;
  switch (k) {
  case BIN_ADD:
    im_line(im, "%s = tosa.add %s, %s : (%s, %s) -> %s", im_ref_id(id), ra_copy, rb_copy, ta, tb, to);
    break;
  case BIN_SUB:
    im_line(im, "%s = tosa.sub %s, %s : (%s, %s) -> %s", im_ref_id(id), ra_copy, rb_copy, ta, tb, to);
    break;
  case BIN_MUL: {
    int s = im_shift0(im);
    im_line(im, "%s = tosa.mul %s, %s, %s%s : (%s, %s, tensor<1xi8>) -> %s", im_ref_id(id), ra_copy, rb_copy,
            im_ref_id(s), im->mul_attrs, ta, tb, to);
    im->mul_attrs[0] = 0;
    break;
  }
  case BIN_DIV: {
    /* TOSA has no float division: x * reciprocal(y). */
    int r = im->next_id++;
    im_line(im, "%s = tosa.reciprocal %s : (%s) -> %s", im_ref_id(r), rb_copy, tb, tb);
    int s = im_shift0(im);
    im_line(im, "%s = tosa.mul %s, %s, %s : (%s, %s, tensor<1xi8>) -> %s", im_ref_id(id), ra_copy, im_ref_id(r),
            im_ref_id(s), ta, tb, to);
    break;
  }
  }
  value *o = im_add_value(im, out_name, a->et, R, od);
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

value *im_emit_clamp(importer *im, value *x, double lo, double hi, const char *out_name) {
  if (!im_mat(im, x))
    return NULL;
  int id = im->next_id++;
  const char *t = im_vtype(x);
  if (x->et == ET_F32) {
    im_line(im, "%s = tosa.clamp %s {max_val = %s, min_val = %s} : (%s) -> %s", im_ref_id(id), im_vref(x),
            f32_attr((float)hi), f32_attr((float)lo), t, t);
  } else if (x->et == ET_I32) {
    /* TOSA's profiles have no i32 clamp: maximum then minimum. */
    int64_t one_pd[MAXR];
    for (int i = 0; i < x->rank; ++i)
      one_pd[i] = 1;
    int32_t lo32 = (int32_t)lo, hi32 = (int32_t)hi;
    int l = im_emit_const(im, ET_I32, x->rank, one_pd, &lo32), h = im_emit_const(im, ET_I32, x->rank, one_pd, &hi32);
    int mx = im->next_id++;
    const char *to = im_ttype(ET_I32, x->rank, one_pd);
    im_line(im, "%s = tosa.maximum %s, %s : (%s, %s) -> %s", im_ref_id(mx), im_vref(x), im_ref_id(l), t, to, t);
    im_line(im, "%s = tosa.minimum %s, %s : (%s, %s) -> %s", im_ref_id(id), im_ref_id(mx), im_ref_id(h), t, to, t);
  } else if (x->et == ET_I8) {
    const char *tn = im_et_name(x->et);
    im_line(im, "%s = tosa.clamp %s {max_val = %lld : %s, min_val = %lld : %s} : (%s) -> %s", im_ref_id(id), im_vref(x),
            (long long)hi, tn, (long long)lo, tn, t, t);
  } else {
    im_fail(im, "element type %s is not supported", im_et_name(x->et));
    return NULL;
  }
  value *o = im_add_value(im, out_name, x->et, x->rank, x->dims);
  o->id = id;
  return o;
}
