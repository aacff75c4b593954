/*
 * Convolution, pooling and matrix products: Conv, MaxPool, AveragePool,
 * GlobalAveragePool, Gemm and MatMul.  1-D convolution and pooling are
 * lifted to 2-D (im_lifted_1d); ONNX's padding and auto_pad are turned into
 * TOSA's exact-fit pads plus an input crop (window_2d).
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Output size and TOSA pads of one spatial axis. TOSA requires
 * (in + pad_begin + pad_end - k_eff) to be an exact multiple of the stride,
 * so the end pad is set to what the last window needs; rows the window never
 * reaches are cropped from the input instead of padded negatively. */
static bool spatial_axis(importer *im, int64_t in, int64_t k_eff, int64_t s, int64_t p0, int64_t p1,
                         const char *auto_pad, bool ceil_mode, int64_t *pb, int64_t *pe, int64_t *out, int64_t *crop) {
  if (s < 1)
    return im_fail(im, "stride %lld is not supported", (long long)s);
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
      return im_fail(im, "kernel (%lld) is larger than the padded input (%lld)", (long long)k_eff,
                     (long long)(in + p0 + p1));
    o = span / s + 1;
    if (ceil_mode && span % s) {
      o = span / s + 2;
      if ((o - 1) * s >= in + p0) /* the last window must start inside the input or the begin pad */
        --o;
    }
  } else
    return im_fail(im, "auto_pad '%s' is not supported", auto_pad);
  if (o < 1)
    return im_fail(im, "the output would be empty");
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
    return im_fail(im, "every window lies in the padding (input %lld, begin pad %lld, stride %lld)", (long long)in,
                   (long long)p0, (long long)s);
  *pb = p0;
  *pe = end;
  *out = o;
  return true;
}

static bool window_2d(importer *im, const value *x, const int64_t *kernel, bool ceil_mode, bool with_dilation,
                      window *w) {
  int64_t strides[2] = {1, 1}, dil[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
  int n;
  if (im->lifted) {
    /* A 1-D op seen as 2-D with H = 1: its attributes describe W only. */
    int64_t p2[2] = {0, 0};
    if ((n = im_attr_ints(im->node, "strides", strides + 1, 1)) >= 0 && n != 1)
      return im_fail(im, "strides must have 1 value");
    if ((n = im_attr_ints(im->node, "dilations", dil + 1, 1)) >= 0 && n != 1)
      return im_fail(im, "dilations must have 1 value");
    if ((n = im_attr_ints(im->node, "pads", p2, 2)) >= 0 && n != 2)
      return im_fail(im, "pads must have 2 values");
    pads[1] = p2[0];
    pads[3] = p2[1];
  } else {
    if ((n = im_attr_ints(im->node, "strides", strides, 2)) >= 0 && n != 2)
      return im_fail(im, "strides must have 2 values");
    if ((n = im_attr_ints(im->node, "dilations", dil, 2)) >= 0 && n != 2)
      return im_fail(im, "dilations must have 2 values");
    if ((n = im_attr_ints(im->node, "pads", pads, 4)) >= 0 && n != 4)
      return im_fail(im, "pads must have 4 values");
  }
  /* TOSA takes dilations >= 1 only (fuzz-onnx: a 1x1 Conv with dilations
   * [1, 0] imported into IR that did not verify); the bound keeps
   * (kernel - 1) * dilation far from overflow. */
  for (int i = 0; i < 2; ++i)
    if (dil[i] < 1 || dil[i] > INT32_MAX)
      return im_fail(im, "dilations must be in [1, 2147483647], not %lld", (long long)dil[i]);
  if (!with_dilation && (dil[0] != 1 || dil[1] != 1))
    return im_fail(im, "dilations other than 1 are not supported");
  for (int i = 0; i < 4; ++i)
    if (pads[i] < 0)
      return im_fail(im, "negative pads are not supported");
  const char *auto_pad = im_attr_s(im->node, "auto_pad", "NOTSET");
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

/* Physical NHWC ref of x cropped at the bottom/right when a window needs it,
 * copied to ref (im_vref and im_ref_id return rotating scratch buffers). */
static bool cropped_input(importer *im, value *x, const window *w, int64_t *pd, char ref[64]) {
  if (!im_mat(im, x))
    return false;
  im_phys_dims(4, x->dims, pd);
  if (!w->crop[0] && !w->crop[1]) {
    snprintf(ref, 64, "%s", im_vref(x));
    return true;
  }
  int64_t start[4] = {0, 0, 0, 0}, size[4] = {pd[0], pd[1] - w->crop[0], pd[2] - w->crop[1], pd[3]};
  int s0 = im_const_shape(im, 4, start), s1 = im_const_shape(im, 4, size);
  int id = im->next_id++;
  im_line(im, "%s = tosa.slice %s, %s, %s : (%s, !tosa.shape<4>, !tosa.shape<4>) -> %s", im_ref_id(id), im_vref(x),
          im_ref_id(s0), im_ref_id(s1), im_ttype(x->et, 4, pd), im_ttype(x->et, 4, size));
  memcpy(pd, size, sizeof size);
  snprintf(ref, 64, "%s", im_ref_id(id));
  return true;
}

/* Constant padding as concatenation with constant blocks.  Equivalent to
 * tosa.pad, but tosa-validate (MLIR 22, level 8K) rejects the !tosa.shape<8>
 * padding of a rank-4 pad as exceeding MAX_RANK. */
int im_emit_pad_concat(importer *im, const char *src, int et, int rank, int64_t *pd, const int64_t *pads,
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
        coopt_buf_printf(&types, "%s%s", types.size ? ", " : "", im_ttype(et, rank, in_pd));
        continue;
      }
      int64_t n = side == 0 ? before : after;
      if (!n)
        continue;
      int64_t bd[MAXR];
      memcpy(bd, pd, (size_t)rank * sizeof(int64_t));
      bd[a] = n;
      int64_t cnt = im_numel(bd, rank);
      float *blk = coopt_xmalloc((size_t)cnt * 4);
      for (int64_t i = 0; i < cnt; ++i)
        blk[i] = pad_value;
      int c = im_emit_const(im, et, rank, bd, blk);
      free(blk);
      coopt_buf_printf(&refs, "%s%s", refs.size ? ", " : "", im_ref_id(c));
      coopt_buf_printf(&types, "%s%s", types.size ? ", " : "", im_ttype(et, rank, bd));
    }
    id = im->next_id++;
    im_line(im, "%s = tosa.concat %s {axis = %d : i32} : (%s) -> %s", im_ref_id(id), refs.data, a, types.data,
            im_ttype(et, rank, out_pd));
    coopt_buf_free(&refs);
    coopt_buf_free(&types);
    memcpy(pd, out_pd, (size_t)rank * sizeof(int64_t));
    snprintf(cur, sizeof cur, "%s", im_ref_id(id));
  }
  return id;
}

/* A 2-D Conv: dense, depthwise (TOSA depthwise_conv2d) or grouped (one conv
 * per group, then a concat); weights are folded to TOSA's layout. */
/* A Conv node on its way to TOSA: the checked operands and what every
 * form of it (plain, depthwise, grouped) shares. */
typedef struct conv_emit {
  value *x, *w, *b;
  int64_t g, C, M, Cg, kh, kw;
  int64_t xpd[4], opd[4]; /* input (cropped) and output, physical NHWC */
  char xref[64], attrs[256];
  int z;       /* the f32 zero point */
  int bid;     /* a non-constant bias value, or -1 */
  float *bias; /* a constant bias (zeros when absent), or NULL */
} conv_emit;

/* Types and shapes, group, kernel_shape. */
static bool check_conv(importer *im, conv_emit *c) {
  value *x = c->x, *w = c->w, *b = c->b;
  if (x->rank != 4)
    return im_fail(im, "only 1-D and 2-D convolution are supported (input rank %d)", x->rank);
  if (w->et != ET_F32 || w->rank != 4)
    return im_fail(im, "weights must be an f32 tensor of rank %d", im->lifted ? 3 : 4);
  if (b && (b->et != ET_F32 || b->rank != 1 || b->dims[0] != w->dims[0]))
    return im_fail(im, "bias must be an f32 vector of the output channels");
  c->g = im_attr_i(im->node, "group", 1), c->C = x->dims[1], c->M = w->dims[0], c->Cg = w->dims[1];
  c->kh = w->dims[2], c->kw = w->dims[3];
  if (c->g < 1 || c->C % c->g || c->M % c->g || c->Cg != c->C / c->g)
    return im_fail(im, "group %lld does not fit %lld input and %lld output channels", (long long)c->g, (long long)c->C,
                   (long long)c->M);
  int64_t ks[2];
  int n = im_attr_ints(im->node, "kernel_shape", ks, 2);
  if (n >= 0 && (im->lifted ? (n != 1 || ks[0] != w->dims[3]) : (n != 2 || ks[0] != w->dims[2] || ks[1] != w->dims[3])))
    return im_fail(im, "kernel_shape does not match the weights");
  return true;
}

/* Bias: a constant (zeros when absent) or, for ungrouped and depthwise
 * convs, a value. */
static bool conv_bias(importer *im, conv_emit *c) {
  c->bid = -1;
  if (!c->b || c->b->data) {
    c->bias = coopt_xcalloc((size_t)c->M, sizeof(float));
    if (c->b)
      memcpy(c->bias, c->b->data, (size_t)c->M * 4);
    return true;
  }
  if (c->g != 1 && !(c->g == c->C && c->Cg == 1))
    return im_fail(im, "a non-constant bias is not supported on a grouped convolution");
  if (!im_mat(im, c->b))
    return false;
  c->bid = c->b->id;
  return true;
}

/* One tosa.conv2d / tosa.depthwise_conv2d line with the node's attributes. */
static int emit_conv_op(importer *im, const conv_emit *c, const char *tosa_op, const char *xref, const int64_t *xpd,
                        int wid, const int64_t *wpd, int bid, int64_t bd, const int64_t *opd) {
  int id = im->next_id++;
  im_line(im, "%s = %s %s, %s, %s, %s, %s %s : (%s, %s, %s, tensor<1xf32>, tensor<1xf32>) -> %s", im_ref_id(id),
          tosa_op, xref, im_ref_id(wid), im_ref_id(bid), im_ref_id(c->z), im_ref_id(c->z), c->attrs,
          im_ttype(ET_F32, 4, xpd), im_ttype(ET_F32, 4, wpd), im_ttype(ET_F32, 1, &bd), im_ttype(ET_F32, 4, opd));
  return id;
}

/* ONNX OIHW weights; TOSA wants OHWI, which is exactly this importer's
 * physical layout of a rank-4 value: constants are permuted here, computed
 * weights already are. */
static int emit_plain_conv(importer *im, conv_emit *c) {
  int64_t wpd[4] = {c->M, c->kh, c->kw, c->C};
  int wid;
  if (c->w->data) {
    static const int OIHW_TO_OHWI[4] = {0, 2, 3, 1};
    void *wd = im_permute_data(c->w->data, 4, 4, c->w->dims, OIHW_TO_OHWI);
    wid = im_emit_const(im, ET_F32, 4, wpd, wd);
    free(wd);
  } else {
    if (!im_mat(im, c->w))
      return -1;
    wid = c->w->id;
  }
  int bid = c->bid >= 0 ? c->bid : im_emit_const(im, ET_F32, 1, &c->M, c->bias);
  return emit_conv_op(im, c, "tosa.conv2d", c->xref, c->xpd, wid, wpd, bid, c->M, c->opd);
}

/* Depthwise: ONNX [C*mult,1,kh,kw] (output channel c*mult+m) -> TOSA
 * [kh,kw,C,mult]. */
static int emit_depthwise_conv(importer *im, conv_emit *c) {
  int64_t mult = c->M / c->C, as4[4] = {c->C, mult, c->kh, c->kw}, wpd[4] = {c->kh, c->kw, c->C, mult};
  static const int TO_HWCM[4] = {2, 3, 0, 1};
  int wid;
  if (c->w->data) {
    void *wd = im_permute_data(c->w->data, 4, 4, as4, TO_HWCM);
    wid = im_emit_const(im, ET_F32, 4, wpd, wd);
    free(wd);
  } else {
    /* physical [C*mult,kh,kw,1] has the linear order of [C,mult,kh,kw] */
    if (!im_mat(im, c->w))
      return -1;
    int64_t wphys[4] = {c->M, c->kh, c->kw, 1};
    int r = im_emit_reshape(im, im_vref(c->w), ET_F32, 4, wphys, 4, as4);
    wid = im_emit_transpose(im, im_ref_id(r), ET_F32, 4, as4, TO_HWCM);
  }
  int bid = c->bid >= 0 ? c->bid : im_emit_const(im, ET_F32, 1, &c->M, c->bias);
  return emit_conv_op(im, c, "tosa.depthwise_conv2d", c->xref, c->xpd, wid, wpd, bid, c->M, c->opd);
}

/* Grouped: one conv per group on a channel slice, then a concat. */
static int emit_grouped_conv(importer *im, conv_emit *c) {
  if (!c->w->data)
    return im_fail(im, "non-constant weights are not supported on a grouped convolution"), -1;
  int64_t Mg = c->M / c->g, Cg = c->Cg, kh = c->kh, kw = c->kw;
  coopt_buf parts, types;
  coopt_buf_init(&parts);
  coopt_buf_init(&types);
  int64_t gpd[4] = {c->opd[0], c->opd[1], c->opd[2], Mg};
  for (int64_t gi = 0; gi < c->g; ++gi) {
    int64_t start[4] = {0, 0, 0, gi * Cg}, size[4] = {c->xpd[0], c->xpd[1], c->xpd[2], Cg};
    int s0 = im_const_shape(im, 4, start), s1 = im_const_shape(im, 4, size);
    int sl = im->next_id++;
    im_line(im, "%s = tosa.slice %s, %s, %s : (%s, !tosa.shape<4>, !tosa.shape<4>) -> %s", im_ref_id(sl), c->xref,
            im_ref_id(s0), im_ref_id(s1), im_ttype(ET_F32, 4, c->xpd), im_ttype(ET_F32, 4, size));
    int64_t wdims[4] = {Mg, Cg, kh, kw};
    static const int OIHW_TO_OHWI[4] = {0, 2, 3, 1};
    void *wd = im_permute_data((float *)c->w->data + gi * Mg * Cg * kh * kw, 4, 4, wdims, OIHW_TO_OHWI);
    int64_t wpd[4] = {Mg, kh, kw, Cg};
    int wid = im_emit_const(im, ET_F32, 4, wpd, wd), gbid = im_emit_const(im, ET_F32, 1, &Mg, c->bias + gi * Mg);
    free(wd);
    char slref[64];
    snprintf(slref, sizeof slref, "%s", im_ref_id(sl));
    int cid = emit_conv_op(im, c, "tosa.conv2d", slref, size, wid, wpd, gbid, Mg, gpd);
    coopt_buf_printf(&parts, "%s%s", gi ? ", " : "", im_ref_id(cid));
    coopt_buf_printf(&types, "%s%s", gi ? ", " : "", im_ttype(ET_F32, 4, gpd));
  }
  int id = im->next_id++;
  im_line(im, "%s = tosa.concat %s {axis = 3 : i32} : (%s) -> %s", im_ref_id(id), parts.data, types.data,
          im_ttype(ET_F32, 4, c->opd));
  coopt_buf_free(&parts);
  coopt_buf_free(&types);
  return id;
}

bool im_op_conv(importer *im, const im_op *op) {
  conv_emit c;
  memset(&c, 0, sizeof c);
  c.x = im_input(im, 0), c.w = im_input(im, 1), c.b = im_has_input(im, 2) ? im_input(im, 2) : NULL;
  if (!c.x || !c.w || (im_has_input(im, 2) && !c.b) || !im_need_f32(im, c.x) || !check_conv(im, &c))
    return false;
  window win;
  if (!window_2d(im, c.x, c.w->dims + 2, false, true, &win) || !cropped_input(im, c.x, &win, c.xpd, c.xref))
    return false;
  int64_t od[4] = {c.x->dims[0], c.M, win.out[0], win.out[1]};
  im_phys_dims(4, od, c.opd);
  snprintf(c.attrs, sizeof c.attrs,
           "{acc_type = f32, dilation = array<i64: %lld, %lld>, pad = array<i64: %lld, %lld, %lld, %lld>, stride = "
           "array<i64: %lld, %lld>}",
           (long long)win.d[0], (long long)win.d[1], (long long)win.pads[0], (long long)win.pads[1],
           (long long)win.pads[2], (long long)win.pads[3], (long long)win.s[0], (long long)win.s[1]);
  c.z = im_zero_f32(im);
  int id = -1;
  if (conv_bias(im, &c))
    id = c.g == 1                  ? emit_plain_conv(im, &c)
         : c.g == c.C && c.Cg == 1 ? emit_depthwise_conv(im, &c)
                                   : emit_grouped_conv(im, &c);
  free(c.bias);
  return id >= 0 && im_define_output(im, ET_F32, 4, od, id);
}

/* Define `o` as x reshaped (in logical order); constants fold. */
bool im_define_reshaped(importer *im, value *x, value *o, int rank, const int64_t *dims) {
  if (x->data) {
    o->data = im_copy_data(x); /* same elements, same linear order */
    return true;
  }
  const char *src = im_logical_ref(im, x);
  if (!src)
    return false;
  int id = im_emit_reshape(im, src, x->et, x->rank, x->dims, rank, dims);
  im_define_from_logical(im, o, im_ref_id(id));
  return true;
}

/* A logical reshape into a temporary value. */
static value *reshaped_temp(importer *im, value *x, int rank, const int64_t *dims) {
  char name[32];
  snprintf(name, sizeof name, "\x01r%zu", im->nvals);
  value *o = im_add_value(im, name, x->et, rank, dims);
  return im_define_reshaped(im, x, o, rank, dims) ? o : NULL;
}

/* Emit a 1-D Conv / pool as its 2-D form with H = 1. */
static bool lifted_1d(importer *im, const im_op *op, bool is_conv, bool (*emit)(importer *, const im_op *)) {
  value *x = im_input(im, 0);
  if (!x)
    return false;
  int64_t x4[4] = {x->dims[0], x->dims[1], 1, x->dims[2]};
  value *xl = reshaped_temp(im, x, 4, x4), *wl = NULL;
  if (!xl)
    return false;
  if (is_conv) {
    value *w = im_input(im, 1);
    if (!w)
      return false;
    if (w->rank != 3)
      return im_fail(im, "weights must have rank 3 for a 1-D convolution");
    int64_t w4[4] = {w->dims[0], w->dims[1], 1, w->dims[2]};
    if (!(wl = reshaped_temp(im, w, 4, w4)))
      return false;
  }
  value *bias = is_conv && im_has_input(im, 2) ? im_input(im, 2) : NULL;
  if (is_conv && im_has_input(im, 2) && !bias)
    return false;
  im->in_override[0] = xl;
  im->in_override[1] = wl;
  im->in_override[2] = bias;
  im->override_active = true;
  im->out_override = "\x01lifted";
  im->lifted = true;
  bool ok = emit(im, op);
  im->in_override[0] = im->in_override[1] = im->in_override[2] = NULL;
  im->override_active = false;
  im->out_override = NULL;
  im->lifted = false;
  if (!ok)
    return false;
  value *o4 = im_find(im, "\x01lifted");
  int64_t o3[3] = {o4->dims[0], o4->dims[1], o4->dims[3]};
  return im_reshape_to(im, o4, 3, o3);
}

/* Conv: 2-D, or 1-D lifted to 2-D. */
bool im_op_conv_any(importer *im, const im_op *op) {
  value *x = im_input(im, 0);
  if (!x)
    return false;
  if (x->rank == 3)
    return lifted_1d(im, op, true, im_op_conv);
  return im_op_conv(im, op);
}

/* A 2-D pool of kind op->arg. */
static bool pool_2d(importer *im, const im_op *op) {
  bool is_max = op->arg == IM_POOL_MAX, global = op->arg == IM_POOL_GLOBAL_AVG;
  if (im->node->n_output > 1 && im->node->output[1][0])
    return im_fail(im, "the Indices output is not supported");
  value *x = im_input(im, 0);
  if (!x || !im_need_f32(im, x))
    return false;
  if (x->rank != 4)
    return im_fail(im, "only 1-D and 2-D pooling are supported (input rank %d)", x->rank);
  int64_t k[2] = {x->dims[2], x->dims[3]};
  window win;
  memset(&win, 0, sizeof win);
  if (global) {
    win.k[0] = k[0], win.k[1] = k[1], win.s[0] = win.s[1] = 1, win.out[0] = win.out[1] = 1;
  } else {
    if (im->lifted) {
      k[0] = 1;
      if (im_attr_ints(im->node, "kernel_shape", k + 1, 1) != 1)
        return im_fail(im, "kernel_shape must have 1 value");
    } else if (im_attr_ints(im->node, "kernel_shape", k, 2) != 2)
      return im_fail(im, "kernel_shape must have 2 values");
    bool ceil_mode = im_attr_i(im->node, "ceil_mode", 0) != 0;
    if (!window_2d(im, x, k, ceil_mode, false, &win))
      return false;
  }
  for (int i = 0; i < 4; ++i)
    if (win.pads[i] >= win.k[i / 2])
      return im_fail(im, "padding of %lld on a kernel of %lld is not supported", (long long)win.pads[i],
                     (long long)win.k[i / 2]);
  bool include_pad = !is_max && im_attr_i(im->node, "count_include_pad", 0) != 0;
  int64_t xpd[4];
  char xref[64];
  if (!cropped_input(im, x, &win, xpd, xref))
    return false;
  if (include_pad && (win.pads[0] || win.pads[1] || win.pads[2] || win.pads[3])) {
    /* Padding that counts in the divisor is explicit zeros. */
    int64_t pads[8] = {0, 0, win.pads[0], win.pads[1], win.pads[2], win.pads[3], 0, 0};
    int id = im_emit_pad_concat(im, xref, ET_F32, 4, xpd, pads, 0.0f);
    snprintf(xref, sizeof xref, "%s", im_ref_id(id));
    memset(win.pads, 0, sizeof win.pads);
  }
  int64_t od[4] = {x->dims[0], x->dims[1], win.out[0], win.out[1]}, opd[4];
  im_phys_dims(4, od, opd);
  int id = im->next_id++;
  if (is_max)
    im_line(im,
            "%s = tosa.max_pool2d %s {kernel = array<i64: %lld, %lld>, pad = array<i64: %lld, %lld, %lld, %lld>, "
            "stride = array<i64: %lld, %lld>} : (%s) -> %s",
            im_ref_id(id), xref, (long long)win.k[0], (long long)win.k[1], (long long)win.pads[0],
            (long long)win.pads[1], (long long)win.pads[2], (long long)win.pads[3], (long long)win.s[0],
            (long long)win.s[1], im_ttype(ET_F32, 4, xpd), im_ttype(ET_F32, 4, opd));
  else {
    int z = im_zero_f32(im);
    im_line(im,
            "%s = tosa.avg_pool2d %s, %s, %s {acc_type = f32, kernel = array<i64: %lld, %lld>, pad = array<i64: %lld, "
            "%lld, %lld, %lld>, stride = array<i64: %lld, %lld>} : (%s, tensor<1xf32>, tensor<1xf32>) -> %s",
            im_ref_id(id), xref, im_ref_id(z), im_ref_id(z), (long long)win.k[0], (long long)win.k[1],
            (long long)win.pads[0], (long long)win.pads[1], (long long)win.pads[2], (long long)win.pads[3],
            (long long)win.s[0], (long long)win.s[1], im_ttype(ET_F32, 4, xpd), im_ttype(ET_F32, 4, opd));
  }
  return im_define_output(im, ET_F32, 4, od, id);
}

/* [B, M, K] x [B, K, N] -> [B, M, N] with tosa.matmul (refs already rank 3). */
static int emit_matmul3(importer *im, const char *a, const char *b, int64_t B, int64_t M, int64_t K, int64_t N) {
  int64_t ad[3] = {B, M, K}, bd[3] = {B, K, N}, od[3] = {B, M, N};
  int z = im_zero_f32(im), id = im->next_id++;
  im_line(im, "%s = tosa.matmul %s, %s, %s, %s : (%s, %s, tensor<1xf32>, tensor<1xf32>) -> %s", im_ref_id(id), a, b,
          im_ref_id(z), im_ref_id(z), im_ttype(ET_F32, 3, ad), im_ttype(ET_F32, 3, bd), im_ttype(ET_F32, 3, od));
  return id;
}

/* Gemm as a TOSA matmul: transA/transB and alpha fold into a constant B,
 * beta into the bias. */
bool im_op_gemm(importer *im, const im_op *op) {
  value *a = im_input(im, 0), *b = im_input(im, 1), *c = im_has_input(im, 2) ? im_input(im, 2) : NULL;
  if (!a || !b || (im_has_input(im, 2) && !c) || !im_need_f32(im, a) || !im_need_f32(im, b) ||
      (c && !im_need_f32(im, c)))
    return false;
  if (a->rank != 2 || b->rank != 2)
    return im_fail(im, "A and B must be matrices");
  float alpha = im_attr_f(im->node, "alpha", 1.0f), beta = im_attr_f(im->node, "beta", 1.0f);
  bool ta = im_attr_i(im->node, "transA", 0) != 0, tb = im_attr_i(im->node, "transB", 0) != 0;
  int64_t M = ta ? a->dims[1] : a->dims[0], K = ta ? a->dims[0] : a->dims[1];
  int64_t K2 = tb ? b->dims[1] : b->dims[0], N = tb ? b->dims[0] : b->dims[1];
  if (K != K2)
    return im_fail(im, "inner dimensions differ (%lld, %lld)", (long long)K, (long long)K2);
  if (!im_mat(im, a))
    return false;
  const char *ar = im_vref(a);
  int64_t apd[2] = {a->dims[0], a->dims[1]};
  static const int T2[2] = {1, 0};
  int aid = ta ? im_emit_transpose(im, ar, ET_F32, 2, apd, T2) : -1;
  int64_t mk[2] = {M, K}, a3[3] = {1, M, K};
  int a3id = im_emit_reshape(im, aid >= 0 ? im_ref_id(aid) : ar, ET_F32, 2, mk, 3, a3);
  int b3id;
  if (b->data) {
    /* Fold transB and alpha into the constant [1, K, N]. */
    float *bd = coopt_xmalloc((size_t)(K * N) * 4);
    const float *src = b->data;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = 0; n < N; ++n)
        bd[k * N + n] = alpha * (tb ? src[n * K + k] : src[k * N + n]);
    int64_t b3[3] = {1, K, N};
    b3id = im_emit_const(im, ET_F32, 3, b3, bd);
    free(bd);
    alpha = 1.0f;
  } else {
    if (!im_mat(im, b))
      return false;
    int64_t bpd[2] = {b->dims[0], b->dims[1]};
    int bt = tb ? im_emit_transpose(im, im_vref(b), ET_F32, 2, bpd, T2) : -1;
    int64_t kn[2] = {K, N}, b3[3] = {1, K, N};
    b3id = im_emit_reshape(im, bt >= 0 ? im_ref_id(bt) : im_vref(b), ET_F32, 2, kn, 3, b3);
  }
  char a3r[32];
  snprintf(a3r, sizeof a3r, "%s", im_ref_id(a3id));
  int mm = emit_matmul3(im, a3r, im_ref_id(b3id), 1, M, K, N);
  int64_t o3[3] = {1, M, N}, mn[2] = {M, N};
  int y = im_emit_reshape(im, im_ref_id(mm), ET_F32, 3, o3, 2, mn);
  value *yv = im_add_value(im, c || alpha != 1.0f ? "\x01gemm" : im->node->output[0], ET_F32, 2, mn);
  yv->id = y;
  if (alpha != 1.0f) {
    int64_t one[2] = {1, 1};
    float *ad = coopt_xmalloc(4);
    *ad = alpha;
    value *av = im_temp_const(im, ET_F32, 2, one, ad);
    yv = im_emit_binary(im, BIN_MUL, yv, av, c ? "\x01gemm" : im->node->output[0]);
    if (!yv)
      return false;
  }
  if (c) {
    value *cv = c;
    if (beta != 1.0f) {
      if (c->data) {
        int64_t n = im_numel(c->dims, c->rank);
        float *cd = coopt_xmalloc((size_t)(n ? n : 1) * 4);
        for (int64_t i = 0; i < n; ++i)
          cd[i] = beta * ((float *)c->data)[i];
        cv = im_temp_const(im, ET_F32, c->rank, c->dims, cd);
      } else {
        int64_t one[1] = {1};
        float *bd = coopt_xmalloc(4);
        *bd = beta;
        cv = im_emit_binary(im, BIN_MUL, c, im_temp_const(im, ET_F32, 1, one, bd), "\x01gemmc");
        if (!cv)
          return false;
      }
    }
    if (!im_emit_binary(im, BIN_ADD, yv, cv, im->node->output[0]))
      return false;
  }
  return true;
}

/* MatMul with NumPy broadcasting of the batch dimensions, as a rank-3
 * TOSA matmul between reshapes. */
bool im_op_matmul(importer *im, const im_op *op) {
  value *a = im_input(im, 0), *b = im_input(im, 1);
  if (!a || !b || !im_need_f32(im, a) || !im_need_f32(im, b))
    return false;
  if (a->rank < 2 || b->rank < 2)
    return im_fail(im, "1-D operands are not supported");
  int64_t M = a->dims[a->rank - 2], K = a->dims[a->rank - 1], K2 = b->dims[b->rank - 2], N = b->dims[b->rank - 1];
  if (K != K2)
    return im_fail(im, "inner dimensions differ (%lld, %lld)", (long long)K, (long long)K2);
  int64_t ba = im_numel(a->dims, a->rank - 2), bb = im_numel(b->dims, b->rank - 2);
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
      return im_fail(im, "broadcasting of batch dimensions is not supported");
    orank = a->rank;
    memcpy(od, a->dims, (size_t)a->rank * sizeof(int64_t));
    od[orank - 1] = N;
    B = ba;
    Mrows = M;
  }
  const char *ar = im_logical_ref(im, a);
  if (!ar)
    return false;
  int64_t a3[3] = {B, Mrows, K};
  int aid = im_emit_reshape(im, ar, ET_F32, a->rank, a->dims, 3, a3);
  int bid;
  int64_t b3[3] = {bb == 1 ? 1 : B, K, N};
  if (b->data) {
    bid = im_emit_const(im, ET_F32, 3, b3, b->data);
  } else {
    const char *br = im_logical_ref(im, b);
    if (!br)
      return false;
    bid = im_emit_reshape(im, br, ET_F32, b->rank, b->dims, 3, b3);
  }
  char ar3[32];
  snprintf(ar3, sizeof ar3, "%s", im_ref_id(aid));
  int mm = emit_matmul3(im, ar3, im_ref_id(bid), B, Mrows, K, N);
  int64_t o3[3] = {B, Mrows, N};
  value *o = im_output(im, 0, ET_F32, orank, od);
  if (!o)
    return false;
  int y = im_emit_reshape(im, im_ref_id(mm), ET_F32, 3, o3, orank, od);
  im_define_from_logical(im, o, im_ref_id(y));
  return true;
}

/* MaxPool, AveragePool (2-D, or 1-D lifted to 2-D) and GlobalAveragePool. */
bool im_op_pool(importer *im, const im_op *op) {
  if (op->arg != IM_POOL_GLOBAL_AVG) {
    value *x = im_input(im, 0);
    if (!x)
      return false;
    if (x->rank == 3)
      return lifted_1d(im, op, false, pool_2d);
  }
  return pool_2d(im, op);
}
