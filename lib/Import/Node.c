/*
 * Access to the node being translated.  Attributes and inputs are read
 * through these helpers so that an absent input, an input no earlier node
 * defines, an attribute of the wrong type or an unsupported attribute is
 * an error naming the node, never a default silently taken.
 */
#include "Import/Importer.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool im_tensor_data(importer *im, const Onnx__TensorProto *t, int *et, int *rank, int64_t *dims, void **data) {
  char msg[256];
  coopt_onnx_tensor_status st = cooptOnnxTensorDecode(t, MAXR, et, rank, dims, data, msg, sizeof msg);
  if (st == COOPT_ONNX_TENSOR_OK)
    return true;
  return im_fail(im, "tensor '%s' %s%s", t->name ? t->name : "", msg,
                 st == COOPT_ONNX_TENSOR_NO_DATA ? " (missing initializer data?)" : "");
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; ++i)
    if (!strcmp(n->attribute[i]->name, name))
      return n->attribute[i];
  return NULL;
}

int64_t im_attr_i(const Onnx__NodeProto *n, const char *name, int64_t def) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a ? a->i : def;
}

float im_attr_f(const Onnx__NodeProto *n, const char *name, float def) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a ? a->f : def;
}

/* ints attribute into out (returns count, -1 when absent). */
int im_attr_ints(const Onnx__NodeProto *n, const char *name, int64_t *out, int max) {
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
const char *im_attr_s(const Onnx__NodeProto *n, const char *name, const char *def) {
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
bool im_check_attrs(importer *im, const char *const *allowed) {
  for (size_t i = 0; i < im->node->n_attribute; ++i) {
    bool ok = false;
    for (int k = 0; allowed[k]; ++k)
      ok |= !strcmp(allowed[k], im->node->attribute[i]->name);
    if (!ok)
      return im_fail(im, "attribute '%s' is not supported", im->node->attribute[i]->name);
  }
  return true;
}

value *im_input(importer *im, size_t i) {
  if (im->override_active) {
    if (i < 3 && im->in_override[i])
      return im->in_override[i];
    im_fail(im, "missing input %zu", i);
    return NULL;
  }
  if (i >= im->node->n_input || !im->node->input[i][0]) {
    im_fail(im, "missing input %zu", i);
    return NULL;
  }
  value *v = im_find(im, im->node->input[i]);
  if (!v)
    im_fail(im, "input '%s' is not defined by any earlier node, initializer or graph input", im->node->input[i]);
  return v;
}

bool im_has_input(importer *im, size_t i) {
  if (im->override_active)
    return i < 3 && im->in_override[i];
  return i < im->node->n_input && im->node->input[i][0];
}

value *im_output(importer *im, size_t i, int et, int rank, const int64_t *dims) {
  for (int k = 0; k < rank; ++k)
    if (dims[k] <= 0) {
      im_fail(im, "output '%s' would have dimension %lld, which TOSA cannot represent", im->node->output[i],
              (long long)dims[k]);
      return NULL;
    }
  return im_add_value(im, i == 0 && im->out_override ? im->out_override : im->node->output[i], et, rank, dims);
}

/* Register output 0 as the SSA value `id`. */
bool im_define_output(importer *im, int et, int rank, const int64_t *dims, int id) {
  value *o = im_output(im, 0, et, rank, dims);
  if (!o)
    return false;
  o->id = id;
  return true;
}

bool im_need_f32(importer *im, const value *v) {
  if (v->et != ET_F32)
    return im_fail(im, "input '%s' has element type %s; only f32 is supported here", v->name, im_et_user_name(v->et));
  return true;
}

/* Integer contents of a constant int64/int32 tensor. */
bool im_const_ints(importer *im, value *v, int64_t *out, int max, int *count) {
  if (!v->data)
    return im_fail_not_const(im, v, "this input");
  int64_t n = im_numel(v->dims, v->rank);
  if (n > max)
    return im_fail(im, "input '%s' has too many elements", v->name);
  for (int64_t i = 0; i < n; ++i)
    out[i] = v->et == ET_I64 ? ((int64_t *)v->data)[i] : v->et == ET_I32 ? ((int32_t *)v->data)[i] : 0;
  if (v->et != ET_I64 && v->et != ET_I32)
    return im_fail(im, "input '%s' must be an integer tensor", v->name);
  *count = (int)n;
  return true;
}

bool im_const_scalar_f32(importer *im, value *v, float *out) {
  if (!v->data)
    return im_fail_not_const(im, v, "this scalar");
  if (v->et != ET_F32 || im_numel(v->dims, v->rank) != 1)
    return im_fail(im, "input '%s' must be a constant f32 scalar", v->name);
  *out = *(float *)v->data;
  return true;
}
