/*
 * Element-wise ops and normalization: Add, Sub, Mul, Div (broadcasting),
 * Relu, Clip, LeakyRelu, Sigmoid, Tanh, Softmax, BatchNormalization
 * (folded into a multiply and an add) and Identity/Dropout (inference).
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Add, Sub, Mul, Div: op->arg is the bin_kind. */
bool im_op_binary(importer *im, const im_op *op) {
  value *a = im_input(im, 0), *b = im_input(im, 1);
  if (!a || !b)
    return false;
  return im_emit_binary(im, (bin_kind)op->arg, a, b, im->node->output[0]) != NULL;
}

/* Sigmoid, Tanh: one TOSA op each (op->tosa_op). */
bool im_op_unary(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x || !im_need_f32(im, x) || !im_mat(im, x))
    return false;
  int id = im->next_id++;
  const char *t = im_vtype(x);
  im_line(im, "%s = %s %s : (%s) -> %s", im_ref_id(id), op->tosa_op, im_vref(x), t, t);
  return im_define_output(im, x->et, x->rank, x->dims, id);
}

/* Relu as a clamp at 0: TOSA has no separate relu. */
bool im_op_relu(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x || !im_need_f32(im, x))
    return false;
  return im_emit_clamp(im, x, 0.0, FLT_MAX, im->node->output[0]) != NULL;
}

/* Clip as a clamp; the bounds are attributes before opset 11, optional
 * constant inputs since, and the element type's limits when absent. */
bool im_op_clip(importer *im, const im_op *op) {
  double lo, hi;
  value *x = im_input(im, 0);
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
    return im_fail(im, "element type %s is not supported", im_et_name(x->et));
  if (im->opset < 11) {
    lo = im_attr_f(im->node, "min", (float)lo);
    hi = im_attr_f(im->node, "max", (float)hi);
  } else {
    for (int i = 1; i <= 2; ++i) {
      if (!im_has_input(im, (size_t)i))
        continue;
      value *v = im_input(im, (size_t)i);
      if (!v)
        return false;
      if (!v->data)
        return im_fail_not_const(im, v, i == 1 ? "min" : "max");
      if (v->et != x->et || im_numel(v->dims, v->rank) != 1)
        return im_fail(im, "min/max must be constant scalars of the input's type");
      double d = x->et == ET_F32  ? ((float *)v->data)[0]
                 : x->et == ET_I8 ? ((int8_t *)v->data)[0]
                                  : ((int32_t *)v->data)[0];
      if (i == 1)
        lo = d;
      else
        hi = d;
    }
  }
  if (isnan(lo) || isnan(hi))
    return im_fail(im, "min/max must not be NaN");
  if (x->et != ET_F32) {
    /* A bound beyond an integer type's range bounds nothing (fuzz-onnx: an
     * i32 Clip's default max as a float attribute is 2^31, which does not
     * convert back to int32). */
    double tlo = x->et == ET_I8 ? -128 : INT32_MIN, thi = x->et == ET_I8 ? 127 : INT32_MAX;
    lo = lo < tlo ? tlo : lo > thi ? thi : lo;
    hi = hi < tlo ? tlo : hi > thi ? thi : hi;
  }
  if (lo > hi) {
    /* ONNX: every value becomes max when min > max. */
    lo = hi;
  }
  return im_emit_clamp(im, x, lo, hi, im->node->output[0]) != NULL;
}

int64_t *im_ones_dims(int rank) {
  static int64_t d[MAXR];
  for (int i = 0; i < rank; ++i)
    d[i] = 1;
  return d;
}

/* LeakyRelu as select(x >= 0, x, alpha * x): exact for any alpha, where a
 * max would be wrong for alpha > 1. */
bool im_op_leaky_relu(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x || !im_need_f32(im, x) || !im_mat(im, x))
    return false;
  float alpha = im_attr_f(im->node, "alpha", 0.01f);
  float *ad = coopt_xmalloc(4), *zd = coopt_xcalloc(1, 4);
  *ad = alpha;
  value *av = im_temp_const(im, ET_F32, x->rank, im_ones_dims(x->rank), ad);
  value *zv = im_temp_const(im, ET_F32, x->rank, im_ones_dims(x->rank), zd);
  value *scaled = im_emit_binary(im, BIN_MUL, x, av, "\x01leaky");
  if (!scaled || !im_mat(im, zv))
    return false;
  int64_t pd[MAXR], zpd[MAXR];
  im_phys_dims(x->rank, x->dims, pd);
  im_phys_dims(x->rank, zv->dims, zpd);
  int ge = im->next_id++;
  im_line(im, "%s = tosa.greater_equal %s, %s : (%s, %s) -> %s", im_ref_id(ge), im_vref(x), im_vref(zv), im_vtype(x),
          im_ttype(ET_F32, x->rank, zpd), im_ttype(ET_BOOL, x->rank, pd));
  int id = im->next_id++;
  im_line(im, "%s = tosa.select %s, %s, %s : (%s, %s, %s) -> %s", im_ref_id(id), im_ref_id(ge), im_vref(x),
          im_vref(scaled), im_ttype(ET_BOOL, x->rank, pd), im_vtype(x), im_vtype(x), im_vtype(x));
  return im_define_output(im, ET_F32, x->rank, x->dims, id);
}

int im_phys_axis(int rank, int logical) {
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
  const char *t = im_ttype(ET_F32, rank, pd), *tr = im_ttype(ET_F32, rank, rd);
  char tt[256], ttr[256];
  snprintf(tt, sizeof tt, "%s", t);
  snprintf(ttr, sizeof ttr, "%s", tr);
  int m = im->next_id++, d = im->next_id++, e = im->next_id++, s = im->next_id++, r = im->next_id++;
  im_line(im, "%s = tosa.reduce_max %s {axis = %d : i32} : (%s) -> %s", im_ref_id(m), x, axis, tt, ttr);
  im_line(im, "%s = tosa.sub %s, %s : (%s, %s) -> %s", im_ref_id(d), x, im_ref_id(m), tt, ttr, tt);
  im_line(im, "%s = tosa.exp %s : (%s) -> %s", im_ref_id(e), im_ref_id(d), tt, tt);
  im_line(im, "%s = tosa.reduce_sum %s {axis = %d : i32} : (%s) -> %s", im_ref_id(s), im_ref_id(e), axis, tt, ttr);
  im_line(im, "%s = tosa.reciprocal %s : (%s) -> %s", im_ref_id(r), im_ref_id(s), ttr, ttr);
  int sh = im_shift0(im), id = im->next_id++;
  im_line(im, "%s = tosa.mul %s, %s, %s : (%s, %s, tensor<1xi8>) -> %s", im_ref_id(id), im_ref_id(e), im_ref_id(r),
          im_ref_id(sh), tt, ttr, tt);
  return id;
}

/* Softmax along one axis, as TOSA's exp / reduce_sum (with the max
 * subtracted first, as ONNX's reference does, so large inputs stay finite). */
bool im_op_softmax(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x || !im_need_f32(im, x) || !im_mat(im, x))
    return false;
  int r = x->rank;
  int64_t axis = im_attr_i(im->node, "axis", im->opset >= 13 ? -1 : 1);
  if (axis < 0)
    axis += r;
  if (axis < 0 || axis >= r)
    return im_fail(im, "axis %lld is out of range", (long long)axis);
  value *o = im_output(im, 0, ET_F32, r, x->dims);
  if (!o)
    return false;
  if (im->opset >= 13 || axis == r - 1) {
    int64_t pd[MAXR];
    im_phys_dims(r, x->dims, pd);
    int pa = im->opset >= 13 ? im_phys_axis(r, (int)axis) : im_phys_axis(r, r - 1);
    o->id = emit_softmax(im, im_vref(x), r, pd, pa);
    return true;
  }
  /* Before opset 13 the input is coerced to 2-D at `axis`. */
  const char *src = im_logical_ref(im, x);
  if (!src)
    return false;
  int64_t d2[2] = {im_numel(x->dims, (int)axis), im_numel(x->dims + axis, r - (int)axis)};
  int f = im_emit_reshape(im, src, ET_F32, r, x->dims, 2, d2);
  int sm = emit_softmax(im, im_ref_id(f), 2, d2, 1);
  int back = im_emit_reshape(im, im_ref_id(sm), ET_F32, 2, d2, r, x->dims);
  im_define_from_logical(im, o, im_ref_id(back));
  return true;
}

/* Identity, and Dropout at inference (op->arg set): the input itself. */
bool im_op_identity(importer *im, const im_op *op) {
  if (op->arg) {
    if (im->node->n_output > 1 && im->node->output[1][0])
      return im_fail(im, "the mask output is not supported (inference only)");
    if (im_has_input(im, 2)) {
      value *t = im_input(im, 2);
      if (!t || !t->data || *(uint8_t *)t->data)
        return im_fail(im, "training_mode must be a constant false (inference only)");
    }
  }
  value *x = im_input(im, 0);
  if (!x)
    return false;
  value copy = *x;
  value *o = im_add_value(im, im->node->output[0], copy.et, copy.rank, copy.dims);
  o->id = copy.id;
  o->is_arg = copy.is_arg;
  if (copy.data)
    o->data = im_copy_data(&copy);
  return true;
}

/* BatchNormalization at inference: a per-channel multiply and add whose
 * constants fold scale, bias, mean and variance. */
bool im_op_batchnorm(importer *im, const im_op *op) {
  if (im_attr_i(im->node, "training_mode", 0) != 0)
    return im_fail(im, "training_mode is not supported (inference only)");
  for (size_t i = 1; i < im->node->n_output; ++i)
    if (im->node->output[i][0])
      return im_fail(im, "training outputs are not supported");
  value *x = im_input(im, 0), *p[4];
  if (!x || !im_need_f32(im, x) || x->rank < 2)
    return x ? im_fail(im, "the input must have a channel axis") : false;
  int64_t C = x->dims[1];
  for (int i = 0; i < 4; ++i) {
    p[i] = im_input(im, (size_t)i + 1);
    if (!p[i] || !p[i]->data || p[i]->et != ET_F32 || im_numel(p[i]->dims, p[i]->rank) != C)
      return p[i] ? im_fail(im, "scale, bias, mean and var must be constant f32 vectors of %lld", (long long)C) : false;
  }
  float eps = im_attr_f(im->node, "epsilon", 1e-5f);
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
  value *av = im_temp_const(im, ET_F32, x->rank - 1, cd, ad), *bv = im_temp_const(im, ET_F32, x->rank - 1, cd, bd);
  value *m = im_emit_binary(im, BIN_MUL, x, av, "\x01bn");
  return m && im_emit_binary(im, BIN_ADD, m, bv, im->node->output[0]);
}
