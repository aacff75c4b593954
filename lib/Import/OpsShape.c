/*
 * Shape and layout ops: Reshape, Flatten, Squeeze, Unsqueeze, Transpose,
 * Concat, Pad and Constant.  Shapes are static: shape operands must be
 * constants, and constant inputs fold.
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Reshape in logical order; folds constants. */
bool im_reshape_to(importer *im, value *x, int rank, const int64_t *dims) {
  if (im_numel(dims, rank) != im_numel(x->dims, x->rank))
    return im_fail(im, "cannot reshape %lld elements into %lld", (long long)im_numel(x->dims, x->rank),
                   (long long)im_numel(dims, rank));
  value *o = im_output(im, 0, x->et, rank, dims);
  return o && im_define_reshaped(im, x, o, rank, dims);
}

/* Reshape to a constant shape (0 copies a dimension unless allowzero, -1
 * is inferred); a non-trivial NHWC tensor goes through its logical order. */
bool im_op_reshape(importer *im, const im_op *op) {
  value *x = im_input(im, 0), *s = im_input(im, 1);
  if (!x || !s)
    return false;
  int64_t sh[MAXR];
  int n;
  if (!im_const_ints(im, s, sh, MAXR, &n))
    return false;
  bool allowzero = im_attr_i(im->node, "allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < n; ++i) {
    if (sh[i] == 0 && !allowzero) {
      if (i >= x->rank)
        return im_fail(im, "shape copies dimension %d, which the input does not have", i);
      sh[i] = x->dims[i];
    }
    if (sh[i] == -1) {
      if (infer >= 0)
        return im_fail(im, "more than one -1 in the shape");
      infer = i;
    } else if (sh[i] < 0)
      return im_fail(im, "invalid dimension %lld in the shape", (long long)sh[i]);
    else
      known *= sh[i];
  }
  if (infer >= 0) {
    if (known == 0 || im_numel(x->dims, x->rank) % known)
      return im_fail(im, "cannot infer the -1 dimension");
    sh[infer] = im_numel(x->dims, x->rank) / known;
  }
  return im_reshape_to(im, x, n, sh);
}

/* Flatten as a reshape to 2-D at `axis`. */
bool im_op_flatten(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x)
    return false;
  int64_t axis = im_attr_i(im->node, "axis", 1);
  if (axis < 0)
    axis += x->rank;
  if (axis < 0 || axis > x->rank)
    return im_fail(im, "axis is out of range");
  int64_t d[2] = {im_numel(x->dims, (int)axis), im_numel(x->dims + axis, x->rank - (int)axis)};
  return im_reshape_to(im, x, 2, d);
}

static bool axes_of(importer *im, int64_t *axes, int *n, int rank, bool required) {
  *n = -1;
  if (im->opset >= 13) {
    if (im_has_input(im, 1)) {
      value *a = im_input(im, 1);
      if (!a || !im_const_ints(im, a, axes, MAXR, n))
        return false;
    }
  } else {
    *n = im_attr_ints(im->node, "axes", axes, MAXR);
  }
  if (*n < 0) {
    if (required)
      return im_fail(im, "axes are required");
    return true;
  }
  for (int i = 0; i < *n; ++i) {
    if (axes[i] < 0)
      axes[i] += rank;
    if (axes[i] < 0 || axes[i] >= rank)
      return im_fail(im, "axis %lld is out of range", (long long)axes[i]);
  }
  return true;
}

/* Squeeze as a reshape; the axes are an attribute before opset 13, a
 * constant input since, and every 1 when absent. */
bool im_op_squeeze(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
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
      return im_fail(im, "axis %d has size %lld, not 1", i, (long long)x->dims[i]);
    if (!drop)
      d[r++] = x->dims[i];
  }
  return im_reshape_to(im, x, r, d);
}

/* Unsqueeze as a reshape; the axes refer to the output's rank. */
bool im_op_unsqueeze(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x)
    return false;
  int64_t axes[MAXR];
  int n;
  int out_rank;
  /* axes refer to the output rank, which depends on their count */
  if (im->opset >= 13) {
    if (!im_has_input(im, 1))
      return im_fail(im, "axes are required");
    value *a = im_input(im, 1);
    if (!a || !im_const_ints(im, a, axes, MAXR, &n))
      return false;
  } else {
    n = im_attr_ints(im->node, "axes", axes, MAXR);
    if (n < 0)
      return im_fail(im, "axes are required");
  }
  out_rank = x->rank + n;
  if (out_rank > MAXR)
    return im_fail(im, "result rank %d is too large", out_rank);
  bool is_new[MAXR] = {false};
  for (int i = 0; i < n; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + out_rank : axes[i];
    if (a < 0 || a >= out_rank || is_new[a])
      return im_fail(im, "invalid or repeated axis %lld", (long long)axes[i]);
    is_new[a] = true;
  }
  int64_t d[MAXR];
  for (int i = 0, j = 0; i < out_rank; ++i)
    d[i] = is_new[i] ? 1 : x->dims[j++];
  return im_reshape_to(im, x, out_rank, d);
}

/* Transpose in logical order, composed with the physical layouts of the
 * input and the output so that one TOSA transpose (or none) remains. */
bool im_op_transpose(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x)
    return false;
  int r = x->rank;
  int64_t p64[MAXR];
  int n = im_attr_ints(im->node, "perm", p64, MAXR);
  int perm[MAXR];
  bool seen[MAXR] = {false};
  for (int i = 0; i < r; ++i) {
    perm[i] = n < 0 ? r - 1 - i : (int)p64[i];
    if (perm[i] < 0 || perm[i] >= r || seen[perm[i]])
      return im_fail(im, "invalid perm");
    seen[perm[i]] = true;
  }
  if (n >= 0 && n != r)
    return im_fail(im, "perm has %d entries for rank %d", n, r);
  int64_t od[MAXR];
  for (int i = 0; i < r; ++i)
    od[i] = x->dims[perm[i]];
  value *o = im_output(im, 0, x->et, r, od);
  if (!o)
    return false;
  if (x->data) {
    o->data = im_permute_data(x->data, im_et_size(x->et), r, x->dims, perm);
    return true;
  }
  if (!im_mat(im, x))
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
  im_phys_dims(r, x->dims, pd);
  o->id = im_emit_transpose(im, im_vref(x), x->et, r, pd, tp);
  return true;
}

/* Concat along a logical axis, mapped to the physical one. */
bool im_op_concat(importer *im, const im_op *op) {
  size_t n = im->node->n_input;
  if (n < 1)
    return im_fail(im, "no inputs");
  value *first = im_input(im, 0);
  if (!first)
    return false;
  int r = first->rank;
  int64_t axis = im_attr_i(im->node, "axis", 0);
  if (axis < 0)
    axis += r;
  if (axis < 0 || axis >= r)
    return im_fail(im, "axis is out of range");
  int64_t od[MAXR];
  memcpy(od, first->dims, (size_t)r * sizeof(int64_t));
  od[axis] = 0;
  coopt_buf refs, types;
  coopt_buf_init(&refs);
  coopt_buf_init(&types);
  bool ok = true;
  for (size_t i = 0; i < n && ok; ++i) {
    value *v = im_input(im, i);
    if (!v || v->rank != r || v->et != first->et) {
      ok = v ? im_fail(im, "inputs differ in rank or type") : false;
      break;
    }
    for (int d = 0; d < r; ++d)
      if (d != axis && v->dims[d] != first->dims[d])
        ok = im_fail(im, "inputs differ outside the axis");
    od[axis] += v->dims[axis];
    if (ok && !(ok = im_mat(im, v)))
      break;
    coopt_buf_printf(&refs, "%s%s", i ? ", " : "", im_vref(v));
    coopt_buf_printf(&types, "%s%s", i ? ", " : "", im_vtype(v));
  }
  value *o = ok ? im_output(im, 0, first->et, r, od) : NULL;
  if (o) {
    o->id = im->next_id++;
    im_line(im, "%s = tosa.concat %s {axis = %d : i32} : (%s) -> %s", im_ref_id(o->id), refs.data,
            im_phys_axis(r, (int)axis), types.data, im_vtype(o));
  }
  coopt_buf_free(&refs);
  coopt_buf_free(&types);
  return o != NULL;
}

/* Pad (constant mode only) as concats of constant slabs, not tosa.pad,
 * which tosa-validate rejects at rank 4. */
bool im_op_pad(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x)
    return false;
  int r = x->rank;
  int64_t pads[2 * MAXR];
  int n;
  float cval = 0;
  const char *mode = im_attr_s(im->node, "mode", "constant");
  if (strcmp(mode, "constant"))
    return im_fail(im, "mode '%s' is not supported (only constant)", mode);
  if (im->opset >= 11) {
    value *p = im_input(im, 1);
    if (!p || !im_const_ints(im, p, pads, 2 * MAXR, &n))
      return false;
    if (im_has_input(im, 2)) {
      value *c = im_input(im, 2);
      if (!c || !im_const_scalar_f32(im, c, &cval))
        return false;
    }
    if (im_has_input(im, 3))
      return im_fail(im, "the axes input is not supported");
  } else {
    n = im_attr_ints(im->node, "pads", pads, 2 * MAXR);
    cval = im_attr_f(im->node, "value", 0.0f);
  }
  if (n != 2 * r)
    return im_fail(im, "pads must have %d values", 2 * r);
  if (!im_need_f32(im, x) || !im_mat(im, x))
    return false;
  int64_t od[MAXR], tp[2 * MAXR];
  for (int i = 0; i < r; ++i) {
    if (pads[i] < 0 || pads[i + r] < 0)
      return im_fail(im, "negative pads are not supported");
    od[i] = x->dims[i] + pads[i] + pads[i + r];
  }
  for (int i = 0; i < r; ++i) {
    int l = r == 4 ? TO_NHWC[i] : i;
    tp[2 * i] = pads[l];
    tp[2 * i + 1] = pads[l + r];
  }
  value *o = im_output(im, 0, ET_F32, r, od);
  if (!o)
    return false;
  int64_t pd[MAXR];
  im_phys_dims(r, x->dims, pd);
  int id = im_emit_pad_concat(im, im_vref(x), ET_F32, r, pd, tp, cval);
  if (id < 0) { /* nothing to pad */
    o->id = x->id;
    o->is_arg = x->is_arg;
  } else
    o->id = id;
  return true;
}

/* Constant: its one value attribute becomes a constant value, emitted at
 * its first use like an initializer. */
bool im_op_constant(importer *im, const im_op *op) {
  if (im->node->n_attribute != 1)
    return im_fail(im, "exactly one value attribute is expected");
  const Onnx__AttributeProto *a = im->node->attribute[0];
  int et, rank;
  int64_t dims[MAXR];
  void *data;
  if (!strcmp(a->name, "value") && a->t) {
    if (!im_tensor_data(im, a->t, &et, &rank, dims, &data))
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
    return im_fail(im, "attribute '%s' is not supported", a->name);
  value *o = im_add_value(im, im->node->output[0], et, rank, dims);
  o->data = data;
  return true;
}
