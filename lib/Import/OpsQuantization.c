/*
 * Quantized ops: QuantizeLinear, DequantizeLinear, ConvInteger,
 * MatMulInteger, QLinearConv and QLinearMatMul, translated exactly.
 *
 * 8-bit integers are i8 bits (ET_U8 unsigned, ET_I8 signed).  Integer
 * convolutions and matmuls are computed on exact integer-valued f32 (x - zp)
 * and (w - zp): products are below 2^16 and sums stay exact below 2^24, which
 * covers the K of these layers; larger ones are refused.  Requantization
 * follows ONNX's reference order: round_half_even(acc * (x_scale * w_scale /
 * y_scale)) + y_zero_point, saturated.
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool is_int8(int et) { return et == ET_I8 || et == ET_U8; }

/* i32 SSA value of v (u8 zero-extended). */
static int to_i32(importer *im, value *v) {
  if (!im_mat(im, v))
    return -1;
  int64_t pd[MAXR];
  im_phys_dims(v->rank, v->dims, pd);
  if (v->et == ET_I32)
    return v->id;
  int c = im_emit_cast(im, im_vref(v), v->et, ET_I32, v->rank, pd);
  if (v->et != ET_U8)
    return c;
  int32_t *mask = coopt_xmalloc(4);
  *mask = 255;
  int64_t *ones = im_ones_dims(v->rank);
  int64_t one_pd[MAXR];
  memcpy(one_pd, ones, (size_t)v->rank * sizeof(int64_t));
  int m = im_emit_const(im, ET_I32, v->rank, one_pd, mask);
  free(mask);
  int a = im->next_id++;
  im_line(im, "%s = tosa.bitwise_and %s, %s : (%s, %s) -> %s", im_ref_id(a), im_ref_id(c), im_ref_id(m),
          im_ttype(ET_I32, v->rank, pd), im_ttype(ET_I32, v->rank, one_pd), im_ttype(ET_I32, v->rank, pd));
  return a;
}

static value *value_of(importer *im, const char *name, int et, int rank, const int64_t *dims, int id) {
  value *v = im_add_value(im, name, et, rank, dims);
  v->id = id;
  return v;
}

/* A per-tensor or per-axis parameter (scale / zero point) as a constant
 * broadcastable against a rank-`rank` logical tensor along `axis`. */
static value *param_const(importer *im, value *p, int rank, int axis, int et, bool as_float, const char *what) {
  if (!p->data)
    return im_fail_not_const(im, p, what), NULL;
  int64_t n = im_numel(p->dims, p->rank);
  if (p->rank > 1 || (n != 1 && (axis < 0 || axis >= rank)))
    return im_fail(im, "%s must be a scalar or a 1-D per-axis tensor", what), NULL;
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
  return im_temp_const(im, et, rank, d, data);
}

/* Zero point of an optional input, as a value (zeros when absent). */
static bool zero_point(importer *im, size_t idx, int rank, int axis, int *et_out, value **out) {
  if (!im_has_input(im, idx)) {
    int32_t *z = coopt_xcalloc(1, 4);
    *out = im_temp_const(im, ET_I32, rank, im_ones_dims(rank), z);
    return true;
  }
  value *zp = im_input(im, idx);
  if (!zp)
    return false;
  if (!is_int8(zp->et) && zp->et != ET_I32)
    return im_fail(im, "zero point type %s is not supported", im_et_user_name(zp->et));
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
  value *d = im_emit_binary(im, BIN_SUB, xv, zp, "\x01qd");
  if (!d)
    return NULL;
  int64_t pd[MAXR];
  im_phys_dims(x->rank, x->dims, pd);
  int f = im_emit_cast(im, im_vref(d), ET_I32, ET_F32, x->rank, pd);
  return value_of(im, "\x01qf", ET_F32, x->rank, x->dims, f);
}

/* Host copy of a constant integer tensor minus its zero point, as f32. */
static value *centered_const_f32(importer *im, value *w, value *zp_raw, int axis) {
  if (!w->data || !is_int8(w->et))
    return im_fail(im, "weights must be a constant 8-bit tensor"), NULL;
  int64_t n = im_numel(w->dims, w->rank), zn = zp_raw ? im_numel(zp_raw->dims, zp_raw->rank) : 1;
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
  return im_temp_const(im, ET_F32, w->rank, w->dims, f);
}

/* Weights minus their zero point as f32: folded when constant. */
static value *centered_weights(importer *im, value *w, value *zp_raw, int axis) {
  if (w->data)
    return centered_const_f32(im, w, zp_raw, axis);
  if (!is_int8(w->et))
    return im_fail(im, "weights must be 8-bit integers"), NULL;
  value *zp;
  if (zp_raw) {
    if (!(zp = param_const(im, zp_raw, w->rank, axis, ET_I32, false, "the weight zero point")))
      return NULL;
  } else {
    int32_t *z = coopt_xcalloc(1, 4);
    zp = im_temp_const(im, ET_I32, w->rank, im_ones_dims(w->rank), z);
  }
  return centered_f32(im, w, zp);
}

/* f32 -> round half to even -> + zp -> saturate -> 8-bit (or i32). */
static bool requantize(importer *im, value *acc, value *mult, value *zp, int out_et, const char *out_name) {
  value *t = mult ? im_emit_binary(im, BIN_MUL, acc, mult, "\x01rq") : acc;
  if (!t)
    return false;
  value *c = im_emit_clamp(im, t, -2147483520.0, 2147483520.0, "\x01rc");
  if (!c)
    return false;
  int64_t pd[MAXR];
  im_phys_dims(acc->rank, acc->dims, pd);
  int r = im_emit_cast(im, im_vref(c), ET_F32, ET_I32, acc->rank, pd);
  value *rv = value_of(im, "\x01ri", ET_I32, acc->rank, acc->dims, r);
  if (zp && !(rv = im_emit_binary(im, BIN_ADD, rv, zp, "\x01rz")))
    return false;
  if (out_et == ET_I32) {
    value *o = im_add_value(im, out_name, ET_I32, acc->rank, acc->dims);
    o->id = rv->id;
    return true;
  }
  value *sat = im_emit_clamp(im, rv, out_et == ET_U8 ? 0 : -128, out_et == ET_U8 ? 255 : 127, "\x01rs");
  if (!sat)
    return false;
  int q = im_emit_cast(im, im_vref(sat), ET_I32, ET_I8, acc->rank, pd);
  value *o = im_add_value(im, out_name, out_et, acc->rank, acc->dims);
  o->id = q;
  return true;
}

static int quant_axis(importer *im, int rank) {
  int64_t axis = im_attr_i(im->node, "axis", 1);
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
    return im_fail_not_const(im, s, "the scale");
  if (s->et != ET_F32)
    return im_fail(im, "the scale must be f32");
  int64_t n = im_numel(s->dims, s->rank);
  if (n < 1)
    return im_fail(im, "the scale is empty");
  for (int64_t i = 0; i < n; ++i) {
    float f = ((float *)s->data)[i];
    if (!(isfinite(f) && f > 0))
      return im_fail(im, "the scale must be positive and finite (entry %lld is %g)", (long long)i, (double)f);
  }
  if (n != 1 && (axis < 0 || axis >= x->rank || x->dims[axis] != n))
    return im_fail(im, "the scale has %lld entries but axis %d of the %d-D input has %lld elements", (long long)n, axis,
                   x->rank, axis >= 0 && axis < x->rank ? (long long)x->dims[axis] : 0LL);
  if (im_has_input(im, 2)) {
    value *zp = im_input(im, 2);
    if (!zp)
      return false;
    if (im_numel(zp->dims, zp->rank) != n)
      return im_fail(im, "the zero point has %lld entries but the scale has %lld",
                     (long long)im_numel(zp->dims, zp->rank), (long long)n);
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

/* QuantizeLinear as multiply, round half to even, add the zero point and
 * saturate, the order ONNX's reference uses. */
bool im_op_quantize(importer *im, const im_op *op) {
  value *x = im_input(im, 0), *s = im_input(im, 1);
  if (!x || !s || !im_need_f32(im, x))
    return false;
  int axis = quant_axis(im, x->rank), out_et = ET_U8;
  value *zp;
  if (!check_qparams(im, x, s, axis) || !zero_point(im, 2, x->rank, axis, &out_et, &zp))
    return false;
  if (!is_int8(out_et))
    return im_fail(im, "output type %s is not supported", im_et_user_name(out_et));
  /* x / scale as x * (1 / scale): TOSA has no float division. */
  if (!s->data)
    return im_fail_not_const(im, s, "the scale");
  if (s->et != ET_F32)
    return im_fail(im, "the scale must be f32");
  value *inv = param_const(im, s, x->rank, axis, ET_F32, true, "the scale");
  if (!inv)
    return false;
  for (int64_t i = 0; i < im_numel(inv->dims, inv->rank); ++i)
    ((float *)inv->data)[i] = 1.0f / ((float *)inv->data)[i];
  /* A per-tensor quantizer of an activation states its range: the values
   * that map onto [qmin, qmax].  It is recorded on the quantizing mul as
   * coopt.qdq_range and moved onto the producer as coopt.range after
   * parsing (cooptAdoptImportedRanges), so that calibration keeps it. */
  if (!x->data && im_numel(s->dims, s->rank) == 1) {
    double sc = ((float *)s->data)[0], z = ((int32_t *)zp->data)[0];
    double qmin = out_et == ET_U8 ? 0 : -128, qmax = out_et == ET_U8 ? 255 : 127;
    char lo[40], hi[40];
    f64_literal(lo, sizeof lo, (qmin - z) * sc);
    f64_literal(hi, sizeof hi, (qmax - z) * sc);
    snprintf(im->mul_attrs, sizeof im->mul_attrs, " {coopt.qdq_range = array<f64: %s, %s>}", lo, hi);
  }
  return requantize(im, x, inv, zp, out_et, im->node->output[0]);
}

/* DequantizeLinear as (x - zero point) * scale, per tensor or per axis. */
bool im_op_dequantize(importer *im, const im_op *op) {
  value *x = im_input(im, 0), *s = im_input(im, 1);
  if (!x || !s)
    return false;
  if (!is_int8(x->et) && x->et != ET_I32)
    return im_fail(im, "input type %s is not supported", im_et_user_name(x->et));
  int axis = quant_axis(im, x->rank), zet = x->et;
  value *zp, *sc;
  if (!check_qparams(im, x, s, axis) || !zero_point(im, 2, x->rank, axis, &zet, &zp))
    return false;
  if (!(sc = param_const(im, s, x->rank, axis, ET_F32, true, "the scale")))
    return false;
  value *c = centered_f32(im, x, zp);
  return c && im_emit_binary(im, BIN_MUL, c, sc, im->node->output[0]);
}

/* Run the float Conv / MatMul translation on prepared f32 operands. */
static value *float_core(importer *im, const im_op *op, bool conv, value *x, value *w, value *b) {
  im->in_override[0] = x;
  im->in_override[1] = w;
  im->in_override[2] = b;
  im->override_active = true;
  im->out_override = "\x01core";
  bool ok = conv ? im_op_conv(im, op) : im_op_matmul(im, op);
  im->in_override[0] = im->in_override[1] = im->in_override[2] = NULL;
  im->override_active = false;
  im->out_override = NULL;
  return ok ? im_find(im, "\x01core") : NULL;
}

static bool exact_enough(importer *im, value *w, bool conv) {
  /* |(x - zp)(w - zp)| <= 255^2 per product: the f32 sum is exact below 2^24. */
  int64_t K = conv ? im_numel(w->dims + 1, w->rank - 1) : w->dims[w->rank - 2];
  if (K * 65025 > (1 << 24))
    return im_fail(im, "reduction of %lld products could exceed f32's exact integers (at most 258 supported)",
                   (long long)K);
  return true;
}

/* ConvInteger / MatMulInteger (op->arg: conv or not): i32 results. */
bool im_op_integer(importer *im, const im_op *op) {
  bool conv = op->arg;
  value *x = im_input(im, 0), *w = im_input(im, 1);
  if (!x || !w)
    return false;
  if (!is_int8(x->et) || !is_int8(w->et))
    return im_fail(im, "inputs must be 8-bit integers");
  if (x->rank != (conv ? 4 : x->rank))
    return im_fail(im, "only 2-D ConvInteger is supported");
  int zet = x->et;
  value *xzp;
  if (!zero_point(im, 2, x->rank, -1, &zet, &xzp))
    return false;
  value *wzp_raw = im_has_input(im, 3) ? im_input(im, 3) : NULL;
  if (im_has_input(im, 3) && (!wzp_raw || !wzp_raw->data))
    return wzp_raw ? im_fail_not_const(im, wzp_raw, "the weight zero point") : false;
  if (!exact_enough(im, w, conv))
    return false;
  value *xf = centered_f32(im, x, xzp), *wf = centered_weights(im, w, wzp_raw, conv ? 0 : w->rank - 1);
  if (!xf || !wf)
    return false;
  value *acc = float_core(im, op, conv, xf, wf, NULL);
  return acc && requantize(im, acc, NULL, NULL, ET_I32, im->node->output[0]);
}

/* QLinearConv / QLinearMatMul (op->arg: conv or not). */
bool im_op_qlinear(importer *im, const im_op *op) {
  bool conv = op->arg;
  value *x = im_input(im, 0), *xs = im_input(im, 1), *xzr = im_input(im, 2), *w = im_input(im, 3),
        *ws = im_input(im, 4), *wzr = im_input(im, 5), *ys = im_input(im, 6), *yzr = im_input(im, 7);
  value *b = conv && im_has_input(im, 8) ? im_input(im, 8) : NULL;
  if (!x || !xs || !xzr || !w || !ws || !wzr || !ys || !yzr || (conv && im_has_input(im, 8) && !b))
    return false;
  if (!is_int8(x->et) || !is_int8(w->et) || !is_int8(yzr->et))
    return im_fail(im, "8-bit inputs and output are required");
  value *params[5] = {xs, ws, ys, yzr, wzr};
  static const char *const pnames[5] = {"the input scale", "the weight scale", "the output scale",
                                        "the output zero point", "the weight zero point"};
  for (int i = 0; i < 5; ++i)
    if (!params[i]->data)
      return im_fail_not_const(im, params[i], pnames[i]);
  if (xs->et != ET_F32 || ws->et != ET_F32 || ys->et != ET_F32 || im_numel(xs->dims, xs->rank) != 1 ||
      im_numel(ys->dims, ys->rank) != 1 || !yzr->data || im_numel(yzr->dims, yzr->rank) != 1)
    return im_fail(im, "scales and zero points must be constants (per tensor, except the weights')");
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
      return im_fail(im, "the bias must be a constant i32 vector");
    int64_t n = b->dims[0];
    float *bd = coopt_xmalloc((size_t)n * 4);
    for (int64_t i = 0; i < n; ++i)
      bd[i] = (float)((int32_t *)b->data)[i];
    bf = im_temp_const(im, ET_F32, 1, b->dims, bd);
  }
  value *acc = float_core(im, op, conv, xf, wf, bf);
  if (!acc)
    return false;
  /* multiplier = x_scale * w_scale / y_scale in f32, per output channel */
  int64_t nw = im_numel(ws->dims, ws->rank);
  float *m = coopt_xmalloc((size_t)nw * 4);
  for (int64_t i = 0; i < nw; ++i)
    m[i] = *(float *)xs->data * ((float *)ws->data)[i] / *(float *)ys->data;
  int64_t md[1] = {nw};
  value *mv = im_temp_const(im, ET_F32, nw == 1 ? 0 : 1, md, m);
  int out_axis = conv ? 1 : acc->rank - 1;
  value *mult = param_const(im, mv, acc->rank, out_axis, ET_F32, true, "the weight scale");
  int yet = yzr->et;
  value *yzp = param_const(im, yzr, acc->rank, -1, ET_I32, false, "the output zero point");
  return mult && yzp && requantize(im, acc, mult, yzp, yet, im->node->output[0]);
}
