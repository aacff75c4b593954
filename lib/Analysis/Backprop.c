/*
 * The float interpreter with reverse mode (Backprop.h).
 *
 * A function becomes a list of nodes in program order, each holding its
 * output and, when something trainable lies before it, the gradient of its
 * output.  Backward walks the list in reverse; a node adds into its inputs'
 * gradients, so a value read twice (a residual add) sums what both readers
 * send back.
 */
#include "Analysis/Backprop.h"

#include "IR/Build.h"
#include "Support/Support.h"
#include "coopt/Diagnostics.h"

#include <cblas.h>
#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum node_kind {
  NODE_INPUT,
  NODE_CONST,
  NODE_CONV,
  NODE_DEPTHWISE,
  NODE_MATMUL,
  NODE_CLAMP,
  NODE_AVG_POOL,
  NODE_MAX_POOL,
  NODE_RESHAPE,
  NODE_TRANSPOSE,
  NODE_ADD
} node_kind;

enum { MAX_RANK = 6 };

typedef struct node {
  node_kind kind;
  MlirValue value;
  int a, b; /* input nodes, -1 when none */
  int rank;
  int64_t shape[MAX_RANK], size;
  float *y, *dy;     /* dy is NULL when nothing trainable lies before the node */
  int w, bias;       /* parameter indices, -1 when none */
  float *wt;         /* depthwise: the weights as [spatial][channels], per forward */
  float *gt;         /* depthwise: their gradient in that layout, per backward */
  float *bias_const; /* a bias that is not a parameter (or NULL: none) */
  /* window geometry: conv2d, depthwise_conv2d, pools */
  int64_t kh, kw, pad[4], stride[2], dil[2], mult;
  int perm[MAX_RANK]; /* transpose: output dimension d is input dimension perm[d] */
  float lo, hi;
} node;

struct coopt_net {
  node *nodes;
  int count, cap, input, output;
  coopt_net_param *params;
  size_t nparams, pcap;
  float *scratch; /* im2col columns, the largest any conv needs */
  size_t scratch_size;
};

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static bool fail(char *why, size_t size, const char *fmt, ...) COOPT_PRINTF(3, 4);

static bool fail(char *why, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, size, fmt, ap);
  va_end(ap);
  return false;
}

static int64_t product(const int64_t *s, int rank) {
  int64_t n = 1;
  for (int i = 0; i < rank; ++i)
    n *= s[i];
  return n;
}

/* ---- building ---- */

static int find_node(const coopt_net *net, MlirValue v) {
  for (int i = net->count - 1; i >= 0; --i)
    if (mlirValueEqual(net->nodes[i].value, v))
      return i;
  return -1;
}

static bool shape_of(MlirValue v, node *n, char *why, size_t size) {
  MlirType t = mlirValueGetType(v);
  if (!cooptIsF32Tensor(t) || !mlirShapedTypeHasStaticShape(t))
    return fail(why, size, "a value is not a statically shaped f32 tensor");
  n->rank = (int)mlirShapedTypeGetRank(t);
  if (n->rank > MAX_RANK)
    return fail(why, size, "a value has rank %d (at most %d)", n->rank, MAX_RANK);
  for (int i = 0; i < n->rank; ++i)
    n->shape[i] = mlirShapedTypeGetDimSize(t, i);
  n->size = product(n->shape, n->rank);
  return true;
}

static int add_node(coopt_net *net, node_kind kind, MlirValue v) {
  if (net->count == net->cap) {
    net->cap = net->cap ? 2 * net->cap : 64;
    net->nodes = coopt_xrealloc(net->nodes, (size_t)net->cap * sizeof(node));
  }
  node *n = &net->nodes[net->count];
  memset(n, 0, sizeof *n);
  n->kind = kind, n->value = v, n->a = n->b = n->w = n->bias = -1;
  return net->count++;
}

static int add_param(coopt_net *net, MlirOperation constant, const coopt_weight *w, int64_t n, float *value) {
  if (net->nparams == net->pcap) {
    net->pcap = net->pcap ? 2 * net->pcap : 32;
    net->params = coopt_xrealloc(net->params, net->pcap * sizeof(coopt_net_param));
  }
  coopt_net_param *p = &net->params[net->nparams];
  p->constant = constant, p->weight = w, p->n = n, p->value = value, p->layer = -1;
  p->grad = coopt_xcalloc((size_t)n, sizeof(float));
  return (int)net->nparams++;
}

/* Values of a constant (its reference when asked), broadcast from a splat. */
static float *const_values(MlirOperation c, bool reference, int64_t n) {
  MlirAttribute a = reference ? cooptReferenceValues(c) : mlirOperationGetAttributeByName(c, S("values"));
  int64_t have = mlirElementsAttrGetNumElements(a);
  float *v = coopt_xmalloc((size_t)(n > 0 ? n : 1) * sizeof(float));
  for (int64_t i = 0; i < n; ++i)
    v[i] = cooptDenseFloatAt(a, have == 1 ? 0 : i);
  return v;
}

static bool one_use(MlirValue v) {
  MlirOpOperand u = mlirValueGetFirstUse(v);
  return !mlirOpOperandIsNull(u) && mlirOpOperandIsNull(mlirOpOperandGetNextUse(u));
}

/* The node of operand i: an earlier result, or a constant read as a
 * frozen tensor. */
static int operand_node(coopt_net *net, MlirOperation op, int i, bool reference, char *why, size_t size) {
  MlirValue v = mlirOperationGetOperand(op, i);
  int k = find_node(net, v);
  if (k >= 0)
    return k;
  MlirOperation d = cooptDefiningOp(v);
  if (mlirOperationIsNull(d) || !cooptOpIs(d, "tosa.const")) {
    fail(why, size, "an operand is neither an earlier result nor a constant");
    return -1;
  }
  k = add_node(net, NODE_CONST, v);
  if (!shape_of(v, &net->nodes[k], why, size))
    return -1;
  net->nodes[k].y = const_values(d, reference, net->nodes[k].size);
  return k;
}

static const coopt_weight *weight_of(const coopt_weight_set *set, MlirOperation user) {
  for (size_t i = 0; i < set->count; ++i)
    if (mlirOperationEqual(set->items[i].user, user))
      return &set->items[i];
  return NULL;
}

static bool i64_array(MlirOperation op, const char *name, int64_t *out, int n) {
  MlirAttribute a = mlirOperationGetAttributeByName(op, S(name));
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a) || mlirDenseArrayGetNumElements(a) != n)
    return false;
  for (int i = 0; i < n; ++i)
    out[i] = mlirDenseI64ArrayGetElement(a, i);
  return true;
}

/* The weight of a conv2d / depthwise_conv2d / matmul: a parameter in
 * canonical order. */
static bool weight_param(coopt_net *net, node *n, const coopt_weight_set *set, MlirOperation op, bool reference,
                         char *why, size_t size) {
  const coopt_weight *w = weight_of(set, op);
  if (!w || w->num_users != 1 || w->elem != COOPT_ELEM_F32)
    return fail(why, size, "its weight is not an f32 constant of this op alone");
  float *v = reference ? cooptWeightLoadAttr(w, cooptReferenceValues(w->constant)) : cooptWeightLoad(w);
  n->w = add_param(net, w->constant, w, w->num_elements, v);
  return true;
}

/* A bias: a parameter when it is an f32 constant with one value per output
 * channel used by this layer alone, a frozen constant otherwise. */
static bool bias_param(coopt_net *net, node *n, MlirOperation c, int64_t channels, bool reference, char *why,
                       size_t size) {
  if (mlirOperationIsNull(c))
    return true;
  MlirValue v = mlirOperationGetResult(c, 0);
  int64_t have = mlirElementsAttrGetNumElements(mlirOperationGetAttributeByName(c, S("values")));
  if (!cooptIsF32Tensor(mlirValueGetType(v)) || (have != 1 && have != channels))
    return fail(why, size, "its bias is not f32 with one value or one per channel");
  float *b = const_values(c, reference, channels);
  if (one_use(v) && have == channels) {
    n->bias = add_param(net, c, NULL, channels, b);
    net->params[n->bias].layer = n->w;
  } else
    n->bias_const = b;
  return true;
}

static bool build_window(coopt_net *net, node *n, MlirOperation op, const coopt_weight_set *set, bool reference,
                         char *why, size_t size) {
  const node *x = &net->nodes[n->a];
  if (x->rank != 4 || n->rank != 4)
    return fail(why, size, "it is not rank 4");
  if (!i64_array(op, "pad", n->pad, 4) || !i64_array(op, "stride", n->stride, 2))
    return fail(why, size, "it has no pad / stride");
  if (n->kind == NODE_AVG_POOL || n->kind == NODE_MAX_POOL) {
    int64_t k[2];
    if (!i64_array(op, "kernel", k, 2))
      return fail(why, size, "it has no kernel");
    n->kh = k[0], n->kw = k[1], n->dil[0] = n->dil[1] = 1;
    /* TOSA's average leaves padding out of the divisor; without padding
     * there is nothing to get wrong. */
    if (n->kind == NODE_AVG_POOL && (n->pad[0] | n->pad[1] | n->pad[2] | n->pad[3]))
      return fail(why, size, "it is a padded avg_pool2d");
    return true;
  }
  if (!i64_array(op, "dilation", n->dil, 2))
    return fail(why, size, "it has no dilation");
  if (!weight_param(net, n, set, op, reference, why, size))
    return false;
  const coopt_weight *w = net->params[n->w].weight;
  if (n->kind == NODE_CONV) {
    n->kh = w->shape[1], n->kw = w->shape[2];
    if (w->rank != 4 || w->shape[3] != x->shape[3] || w->shape[0] != n->shape[3])
      return fail(why, size, "its weight does not match its input");
  } else {
    n->kh = w->shape[0], n->kw = w->shape[1], n->mult = w->shape[3];
    if (w->rank != 4 || w->shape[2] != x->shape[3] || w->shape[2] * w->shape[3] != n->shape[3])
      return fail(why, size, "its weight does not match its input");
  }
  return bias_param(net, n, cooptBiasOf(op), n->shape[3], reference, why, size);
}

/* Broadcast add: same rank, each dimension equal or 1 on one side. */
static bool broadcastable(const node *a, const node *b, const node *y) {
  if (a->rank != y->rank || b->rank != y->rank)
    return false;
  for (int i = 0; i < y->rank; ++i)
    if ((a->shape[i] != y->shape[i] && a->shape[i] != 1) || (b->shape[i] != y->shape[i] && b->shape[i] != 1))
      return false;
  return true;
}

static bool build_op(coopt_net *net, MlirOperation op, const coopt_weight_set *set, bool reference, char *why,
                     size_t size) {
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  if (cooptOpIs(op, "tosa.const") || cooptOpIs(op, "tosa.const_shape"))
    return true; /* read where used */
  if (cooptOpIs(op, "func.return")) {
    if (mlirOperationGetNumOperands(op) != 1)
      return fail(why, size, "the function does not return one value");
    net->output = find_node(net, mlirOperationGetOperand(op, 0));
    return net->output >= 0 || fail(why, size, "the function returns a constant");
  }
  node_kind kind;
  if (cooptOpIs(op, "tosa.conv2d"))
    kind = NODE_CONV;
  else if (cooptOpIs(op, "tosa.depthwise_conv2d"))
    kind = NODE_DEPTHWISE;
  else if (cooptOpIs(op, "tosa.matmul"))
    kind = NODE_MATMUL;
  else if (cooptOpIs(op, "tosa.clamp"))
    kind = NODE_CLAMP;
  else if (cooptOpIs(op, "tosa.avg_pool2d"))
    kind = NODE_AVG_POOL;
  else if (cooptOpIs(op, "tosa.max_pool2d"))
    kind = NODE_MAX_POOL;
  else if (cooptOpIs(op, "tosa.reshape"))
    kind = NODE_RESHAPE;
  else if (cooptOpIs(op, "tosa.transpose"))
    kind = NODE_TRANSPOSE;
  else if (cooptOpIs(op, "tosa.add"))
    kind = NODE_ADD;
  else
    return fail(why, size, "%.*s is not supported", (int)name.length, name.data);
  if (mlirOperationGetNumResults(op) != 1)
    return fail(why, size, "it has %d results", (int)mlirOperationGetNumResults(op));
  int in = operand_node(net, op, 0, reference, why, size);
  if (in < 0)
    return false;
  int b = -1;
  if (kind == NODE_ADD && (b = operand_node(net, op, 1, reference, why, size)) < 0)
    return false;
  int k = add_node(net, kind, mlirOperationGetResult(op, 0));
  node *n = &net->nodes[k];
  n->a = in, n->b = b;
  if (!shape_of(n->value, n, why, size))
    return false;
  const node *x = &net->nodes[in];
  switch (kind) {
  case NODE_CONV:
  case NODE_DEPTHWISE:
  case NODE_AVG_POOL:
  case NODE_MAX_POOL: return build_window(net, n, op, set, reference, why, size);
  case NODE_MATMUL: {
    if (!weight_param(net, n, set, op, reference, why, size))
      return false;
    const coopt_weight *w = net->params[n->w].weight;
    if (x->rank != 3 || n->rank != 3 || w->rank != 3 || w->shape[0] != x->shape[0] || w->shape[1] != x->shape[2] ||
        w->shape[2] != n->shape[2])
      return fail(why, size, "its operands are not [N,M,K] x [N,K,W]");
    /* The ONNX Gemm bias is a later add; it is that add's parameter. */
    return true;
  }
  case NODE_CLAMP: {
    MlirAttribute lo = mlirOperationGetAttributeByName(op, S("min_val")),
                  hi = mlirOperationGetAttributeByName(op, S("max_val"));
    if (mlirAttributeIsNull(lo) || mlirAttributeIsNull(hi) || !mlirAttributeIsAFloat(lo) || !mlirAttributeIsAFloat(hi))
      return fail(why, size, "its bounds are not floats");
    n->lo = (float)mlirFloatAttrGetValueDouble(lo), n->hi = (float)mlirFloatAttrGetValueDouble(hi);
    return x->size == n->size || fail(why, size, "its shapes differ");
  }
  case NODE_RESHAPE: return x->size == n->size || fail(why, size, "its sizes differ");
  case NODE_TRANSPOSE: {
    MlirAttribute p = mlirOperationGetAttributeByName(op, S("perms"));
    if (mlirAttributeIsNull(p) || !mlirAttributeIsADenseI32Array(p) || mlirDenseArrayGetNumElements(p) != n->rank ||
        x->rank != n->rank)
      return fail(why, size, "its permutation does not match its rank");
    for (int d = 0; d < n->rank; ++d) {
      n->perm[d] = mlirDenseI32ArrayGetElement(p, d);
      if (n->perm[d] < 0 || n->perm[d] >= n->rank || x->shape[n->perm[d]] != n->shape[d])
        return fail(why, size, "its permutation does not match its shapes");
    }
    return true;
  }
  case NODE_ADD: {
    node *c = &net->nodes[b];
    if (!broadcastable(x, c, n))
      return fail(why, size, "its operands do not broadcast to its result");
    /* The bias of a matmul (ONNX Gemm): trainable like a conv's. */
    MlirOperation d = cooptDefiningOp(mlirOperationGetOperand(op, 1));
    if (c->kind == NODE_CONST && !mlirOperationIsNull(d) && one_use(c->value) && c->size == n->shape[n->rank - 1] &&
        n->size > c->size) {
      for (int i = 0; i < net->count; ++i)
        if (net->nodes[i].kind == NODE_MATMUL &&
            mlirOperationEqual(cooptBiasOf(mlirOpResultGetOwner(net->nodes[i].value)), d)) {
          c->w = add_param(net, d, NULL, c->size, c->y);
          net->params[c->w].layer = net->nodes[i].w;
          c->y = NULL; /* the parameter owns the values */
          break;
        }
    }
    return true;
  }
  default: return true;
  }
}

/* Which nodes need a gradient: those with a parameter at or before them. */
static void mark_gradients(coopt_net *net) {
  for (int i = 0; i < net->count; ++i) {
    node *n = &net->nodes[i];
    bool need = n->w >= 0 || n->bias >= 0 || (n->a >= 0 && net->nodes[n->a].dy) || (n->b >= 0 && net->nodes[n->b].dy);
    if (need)
      n->dy = coopt_xcalloc((size_t)n->size, sizeof(float));
  }
}

coopt_net *cooptNetBuild(MlirOperation fn, const coopt_weight_set *set, bool reference, char *why, size_t why_size,
                         MlirOperation *where) {
  coopt_net *net = coopt_xcalloc(1, sizeof *net);
  net->output = -1;
  *where = fn;
  MlirBlock block = mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0));
  bool ok = mlirBlockGetNumArguments(block) == 1 || fail(why, why_size, "the function does not take one input");
  if (ok) {
    net->input = add_node(net, NODE_INPUT, mlirBlockGetArgument(block, 0));
    ok = shape_of(net->nodes[net->input].value, &net->nodes[net->input], why, why_size);
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(block); ok && !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    ok = build_op(net, op, set, reference, why, why_size);
    if (!ok)
      *where = op;
  }
  if (ok && net->output < 0)
    ok = fail(why, why_size, "the function has no return");
  const node *in = ok ? &net->nodes[net->input] : NULL;
  if (ok && (in->rank < 1 || net->nodes[net->output].rank < 1 || net->nodes[net->output].size % in->shape[0] != 0))
    ok = fail(why, why_size, "the output is not a per-sample result of the input's batch");
  if (!ok) {
    cooptNetFree(net);
    return NULL;
  }
  mark_gradients(net);
  for (int i = 0; i < net->count; ++i) {
    node *n = &net->nodes[i];
    if (n->kind != NODE_CONST && n->kind != NODE_INPUT && !n->y)
      n->y = coopt_xmalloc((size_t)n->size * sizeof(float));
    if (n->kind == NODE_CONV) {
      const node *x = &net->nodes[n->a];
      size_t cols = (size_t)(n->size / n->shape[3]) * (size_t)(n->kh * n->kw * x->shape[3]);
      if (cols > net->scratch_size)
        net->scratch_size = cols;
    }
    if (n->kind == NODE_DEPTHWISE) {
      n->wt = coopt_xmalloc((size_t)(n->kh * n->kw * n->shape[3]) * sizeof(float));
      n->gt = coopt_xmalloc((size_t)(n->kh * n->kw * n->shape[3]) * sizeof(float));
    }
  }
  net->scratch = coopt_xmalloc((net->scratch_size + 1) * sizeof(float));
  return net;
}

void cooptNetFree(coopt_net *net) {
  if (!net)
    return;
  for (int i = 0; i < net->count; ++i) {
    node *n = &net->nodes[i];
    if (n->kind != NODE_INPUT)
      free(n->y);
    free(n->dy);
    free(n->wt);
    free(n->gt);
    free(n->bias_const);
  }
  for (size_t i = 0; i < net->nparams; ++i) {
    free(net->params[i].value);
    free(net->params[i].grad);
  }
  free(net->nodes);
  free(net->params);
  free(net->scratch);
  free(net);
}

int64_t cooptNetBatch(const coopt_net *net) { return net->nodes[net->input].shape[0]; }
int64_t cooptNetInputElements(const coopt_net *net) { return net->nodes[net->input].size / cooptNetBatch(net); }
int64_t cooptNetOutputElements(const coopt_net *net) { return net->nodes[net->output].size / cooptNetBatch(net); }
size_t cooptNetNumParams(const coopt_net *net) { return net->nparams; }
coopt_net_param *cooptNetParam(coopt_net *net, size_t i) { return &net->params[i]; }

void cooptNetZeroGrad(coopt_net *net) {
  for (size_t i = 0; i < net->nparams; ++i)
    memset(net->params[i].grad, 0, (size_t)net->params[i].n * sizeof(float));
}

/* ---- convolution ---- */

/* Does window tap (i, j) of output pixel (oh, ow) read the input, and where? */
static bool tap_at(const node *n, const node *x, int64_t oh, int64_t ow, int64_t i, int64_t j, int64_t *ih,
                   int64_t *iw) {
  *ih = oh * n->stride[0] - n->pad[0] + i * n->dil[0];
  *iw = ow * n->stride[1] - n->pad[2] + j * n->dil[1];
  return *ih >= 0 && *ih < x->shape[1] && *iw >= 0 && *iw < x->shape[2];
}

/* Output pixels x patch columns of x (NHWC), patch order (kh, kw, c): the
 * canonical order of a conv2d weight row.  Padding reads as zero. */
static void im2col(const node *n, const node *x, float *cols) {
  int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3];
  int64_t OH = n->shape[1], OW = n->shape[2], K = n->kh * n->kw * C;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float *row = cols + ((b * OH + oh) * OW + ow) * K;
        for (int64_t i = 0; i < n->kh; ++i)
          for (int64_t j = 0; j < n->kw; ++j) {
            int64_t ih, iw;
            float *dst = row + (i * n->kw + j) * C;
            if (!tap_at(n, x, oh, ow, i, j, &ih, &iw))
              memset(dst, 0, (size_t)C * sizeof(float));
            else
              memcpy(dst, x->y + ((b * H + ih) * W + iw) * C, (size_t)C * sizeof(float));
          }
      }
}

/* The adjoint of im2col: add each column back into the pixel it came from. */
static void col2im_add(const node *n, const node *x, const float *cols, float *dx) {
  int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3];
  int64_t OH = n->shape[1], OW = n->shape[2], K = n->kh * n->kw * C;
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float *row = cols + ((b * OH + oh) * OW + ow) * K;
        for (int64_t i = 0; i < n->kh; ++i)
          for (int64_t j = 0; j < n->kw; ++j) {
            int64_t ih, iw;
            if (!tap_at(n, x, oh, ow, i, j, &ih, &iw))
              continue;
            const float *src = row + (i * n->kw + j) * C;
            float *d = dx + ((b * H + ih) * W + iw) * C;
            for (int64_t c = 0; c < C; ++c)
              d[c] += src[c];
          }
      }
}

/* A 1x1, stride 1, unpadded conv2d reads its input as the columns. */
static bool pointwise(const node *n) {
  return n->kh == 1 && n->kw == 1 && n->stride[0] == 1 && n->stride[1] == 1 &&
         !(n->pad[0] | n->pad[1] | n->pad[2] | n->pad[3]);
}

static const float *bias_of(const coopt_net *net, const node *n) {
  return n->bias >= 0 ? net->params[n->bias].value : n->bias_const;
}

static void add_bias_rows(float *y, int64_t rows, int64_t ch, const float *bias) {
  if (!bias)
    return;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < ch; ++c)
      y[r * ch + c] += bias[c];
}

static void sum_rows(const float *dy, int64_t rows, int64_t ch, float *out) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < ch; ++c)
      out[c] += dy[r * ch + c];
}

static void conv_forward(coopt_net *net, node *n) {
  const node *x = &net->nodes[n->a];
  int64_t P = n->size / n->shape[3], O = n->shape[3], K = n->kh * n->kw * x->shape[3];
  const float *cols = x->y;
  if (!pointwise(n)) {
    im2col(n, x, net->scratch);
    cols = net->scratch;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)P, (int)O, (int)K, 1.0f, cols, (int)K,
              net->params[n->w].value, (int)K, 0.0f, n->y, (int)O);
  add_bias_rows(n->y, P, O, bias_of(net, n));
}

static void conv_backward(coopt_net *net, node *n) {
  node *x = &net->nodes[n->a];
  int64_t P = n->size / n->shape[3], O = n->shape[3], K = n->kh * n->kw * x->shape[3];
  bool direct = pointwise(n);
  const float *cols = x->y;
  if (!direct) {
    im2col(n, x, net->scratch);
    cols = net->scratch;
  }
  coopt_net_param *w = &net->params[n->w];
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)O, (int)K, (int)P, 1.0f, n->dy, (int)O, cols, (int)K, 1.0f,
              w->grad, (int)K);
  if (n->bias >= 0)
    sum_rows(n->dy, P, O, net->params[n->bias].grad);
  if (!x->dy)
    return;
  if (direct) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)P, (int)K, (int)O, 1.0f, n->dy, (int)O, w->value,
                (int)K, 1.0f, x->dy, (int)K);
    return;
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)P, (int)K, (int)O, 1.0f, n->dy, (int)O, w->value, (int)K,
              0.0f, net->scratch, (int)K);
  col2im_add(n, x, net->scratch, x->dy);
}

/* ---- depthwise: canonical weights [(c*M+m)][s] transposed to [s][c*M+m]
 * so that the channel loop is contiguous on both sides ---- */

/* out[c*M+m] += in[c] * w[c*M+m]; M = 0: out[c] += in[c] * (w ? *w : 1),
 * the average pool's tap. */
static void dw_tap(const float *restrict in, const float *restrict w, float *restrict out, int64_t C, int64_t M) {
  if (M == 0) {
    float f = w ? *w : 1.0f;
    for (int64_t c = 0; c < C; ++c)
      out[c] += in[c] * f;
  } else if (M == 1)
    for (int64_t c = 0; c < C; ++c)
      out[c] += in[c] * w[c];
  else
    for (int64_t c = 0; c < C; ++c)
      for (int64_t m = 0; m < M; ++m)
        out[c * M + m] += in[c] * w[c * M + m];
}

/* g[c*M+m] += dout[c*M+m] * in[c] */
static void dw_tap_weights(const float *restrict dout, const float *restrict in, float *restrict g, int64_t C,
                           int64_t M) {
  if (M == 1)
    for (int64_t c = 0; c < C; ++c)
      g[c] += dout[c] * in[c];
  else
    for (int64_t c = 0; c < C; ++c)
      for (int64_t m = 0; m < M; ++m)
        g[c * M + m] += dout[c * M + m] * in[c];
}

/* din[c] += sum over m of dout[c*M+m] * w[c*M+m] */
static void dw_tap_input(const float *restrict dout, const float *restrict w, float *restrict din, int64_t C,
                         int64_t M) {
  if (M == 1)
    for (int64_t c = 0; c < C; ++c)
      din[c] += dout[c] * w[c];
  else
    for (int64_t c = 0; c < C; ++c)
      for (int64_t m = 0; m < M; ++m)
        din[c] += dout[c * M + m] * w[c * M + m];
}

static void depthwise_forward(coopt_net *net, node *n) {
  const node *x = &net->nodes[n->a];
  int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3], M = n->mult;
  int64_t OH = n->shape[1], OW = n->shape[2], CM = C * M, KS = n->kh * n->kw;
  const float *wc = net->params[n->w].value, *bias = bias_of(net, n);
  for (int64_t ch = 0; ch < CM; ++ch)
    for (int64_t s = 0; s < KS; ++s)
      n->wt[s * CM + ch] = wc[ch * KS + s];
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float *out = n->y + ((b * OH + oh) * OW + ow) * CM;
        for (int64_t ch = 0; ch < CM; ++ch)
          out[ch] = bias ? bias[ch] : 0.0f;
        for (int64_t i = 0; i < n->kh; ++i)
          for (int64_t j = 0; j < n->kw; ++j) {
            int64_t ih, iw;
            if (!tap_at(n, x, oh, ow, i, j, &ih, &iw))
              continue;
            dw_tap(x->y + ((b * H + ih) * W + iw) * C, n->wt + (i * n->kw + j) * CM, out, C, M);
          }
      }
}

static void depthwise_backward(coopt_net *net, node *n) {
  node *x = &net->nodes[n->a];
  int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3], M = n->mult;
  int64_t OH = n->shape[1], OW = n->shape[2], CM = C * M, KS = n->kh * n->kw;
  float *gt = n->gt;
  memset(gt, 0, (size_t)(KS * CM) * sizeof(float));
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        const float *dout = n->dy + ((b * OH + oh) * OW + ow) * CM;
        for (int64_t i = 0; i < n->kh; ++i)
          for (int64_t j = 0; j < n->kw; ++j) {
            int64_t ih, iw;
            if (!tap_at(n, x, oh, ow, i, j, &ih, &iw))
              continue;
            int64_t at = ((b * H + ih) * W + iw) * C, s = i * n->kw + j;
            dw_tap_weights(dout, x->y + at, gt + s * CM, C, M);
            if (x->dy)
              dw_tap_input(dout, n->wt + s * CM, x->dy + at, C, M);
          }
      }
  float *gw = net->params[n->w].grad;
  for (int64_t ch = 0; ch < CM; ++ch)
    for (int64_t s = 0; s < KS; ++s)
      gw[ch * KS + s] += gt[s * CM + ch];
  if (n->bias >= 0)
    sum_rows(n->dy, n->size / CM, CM, net->params[n->bias].grad);
}

/* ---- matmul: canonical weights [(b*W + j)][k] = B[b][k][j] ---- */

static void matmul_forward(coopt_net *net, node *n) {
  const node *x = &net->nodes[n->a];
  int64_t NB = x->shape[0], M = x->shape[1], K = x->shape[2], W = n->shape[2];
  const float *wc = net->params[n->w].value;
  for (int64_t b = 0; b < NB; ++b)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)M, (int)W, (int)K, 1.0f, x->y + b * M * K, (int)K,
                wc + b * W * K, (int)K, 0.0f, n->y + b * M * W, (int)W);
}

static void matmul_backward(coopt_net *net, node *n) {
  node *x = &net->nodes[n->a];
  int64_t NB = x->shape[0], M = x->shape[1], K = x->shape[2], W = n->shape[2];
  coopt_net_param *w = &net->params[n->w];
  for (int64_t b = 0; b < NB; ++b) {
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)W, (int)K, (int)M, 1.0f, n->dy + b * M * W, (int)W,
                x->y + b * M * K, (int)K, 1.0f, w->grad + b * W * K, (int)K);
    if (x->dy)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)M, (int)K, (int)W, 1.0f, n->dy + b * M * W, (int)W,
                  w->value + b * W * K, (int)K, 1.0f, x->dy + b * M * K, (int)K);
  }
}

/* ---- pools ---- */

static void avg_pool(coopt_net *net, node *n, bool backward) {
  node *x = &net->nodes[n->a];
  int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3];
  int64_t OH = n->shape[1], OW = n->shape[2];
  float scale = 1.0f / (float)(n->kh * n->kw);
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        float *out = n->y + ((b * OH + oh) * OW + ow) * C;
        const float *dout = backward ? n->dy + ((b * OH + oh) * OW + ow) * C : NULL;
        if (!backward)
          memset(out, 0, (size_t)C * sizeof(float));
        for (int64_t i = 0; i < n->kh; ++i)
          for (int64_t j = 0; j < n->kw; ++j) {
            int64_t ih, iw;
            if (!tap_at(n, x, oh, ow, i, j, &ih, &iw))
              continue;
            int64_t at = ((b * H + ih) * W + iw) * C;
            if (backward)
              dw_tap(dout, &scale, x->dy + at, C, 0);
            else
              dw_tap(x->y + at, NULL, out, C, 0);
          }
        if (!backward)
          for (int64_t c = 0; c < C; ++c)
            out[c] *= scale;
      }
}

static void max_pool(coopt_net *net, node *n, bool backward) {
  node *x = &net->nodes[n->a];
  int64_t N = x->shape[0], H = x->shape[1], W = x->shape[2], C = x->shape[3];
  int64_t OH = n->shape[1], OW = n->shape[2];
  for (int64_t b = 0; b < N; ++b)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t c = 0; c < C; ++c) {
          int64_t o = ((b * OH + oh) * OW + ow) * C + c, best = -1;
          for (int64_t i = 0; i < n->kh; ++i)
            for (int64_t j = 0; j < n->kw; ++j) {
              int64_t ih, iw;
              if (!tap_at(n, x, oh, ow, i, j, &ih, &iw))
                continue;
              int64_t at = ((b * H + ih) * W + iw) * C + c;
              if (best < 0 || x->y[at] > x->y[best])
                best = at;
            }
          /* The gradient goes to the first maximum, as it does in torch. */
          if (backward) {
            if (best >= 0)
              x->dy[best] += n->dy[o];
          } else
            n->y[o] = best >= 0 ? x->y[best] : -INFINITY;
        }
}

/* ---- add with broadcasting ---- */

/* A constant operand that is a parameter (a matmul's bias) reads it. */
static const float *add_operand(const coopt_net *net, const node *n) {
  return n->kind == NODE_CONST && n->w >= 0 ? net->params[n->w].value : n->y;
}

static float *add_operand_grad(coopt_net *net, node *n) {
  return n->kind == NODE_CONST && n->w >= 0 ? net->params[n->w].grad : n->dy;
}

/* Linear index into a broadcast operand for each output index, walked
 * with a counter over the output's dimensions. */
static void add_pass(coopt_net *net, node *n, bool backward) {
  node *a = &net->nodes[n->a], *b = &net->nodes[n->b];
  const float *av = add_operand(net, a), *bv = add_operand(net, b);
  float *ag = backward ? add_operand_grad(net, a) : NULL, *bg = backward ? add_operand_grad(net, b) : NULL;
  int64_t idx[MAX_RANK] = {0}, sa[MAX_RANK], sb[MAX_RANK], ta = 1, tb = 1;
  for (int d = n->rank - 1; d >= 0; --d) {
    sa[d] = a->shape[d] == 1 ? 0 : ta;
    sb[d] = b->shape[d] == 1 ? 0 : tb;
    ta *= a->shape[d], tb *= b->shape[d];
  }
  int64_t ia = 0, ib = 0;
  for (int64_t o = 0; o < n->size; ++o) {
    if (!backward)
      n->y[o] = av[ia] + bv[ib];
    else {
      if (ag)
        ag[ia] += n->dy[o];
      if (bg)
        bg[ib] += n->dy[o];
    }
    for (int d = n->rank - 1; d >= 0; --d) {
      ia += sa[d], ib += sb[d];
      if (++idx[d] < n->shape[d])
        break;
      ia -= sa[d] * n->shape[d], ib -= sb[d] * n->shape[d];
      idx[d] = 0;
    }
  }
}

/* ---- transpose: y[i] = x[j] with j walked by the input strides of the
 * permuted dimensions; backward sends dy[i] back to x[j] ---- */

static void transpose_pass(coopt_net *net, node *n, bool backward) {
  node *x = &net->nodes[n->a];
  int64_t in_stride[MAX_RANK], stride[MAX_RANK], idx[MAX_RANK] = {0}, t = 1;
  for (int d = x->rank - 1; d >= 0; --d)
    in_stride[d] = t, t *= x->shape[d];
  for (int d = 0; d < n->rank; ++d)
    stride[d] = in_stride[n->perm[d]];
  int64_t j = 0;
  for (int64_t i = 0; i < n->size; ++i) {
    if (backward)
      x->dy[j] += n->dy[i];
    else
      n->y[i] = x->y[j];
    for (int d = n->rank - 1; d >= 0; --d) {
      j += stride[d];
      if (++idx[d] < n->shape[d])
        break;
      j -= stride[d] * n->shape[d];
      idx[d] = 0;
    }
  }
}

/* ---- clamp: the gradient passes where the input is strictly inside ---- */

static void clamp_forward(const float *restrict x, float *restrict y, int64_t n, float lo, float hi) {
  for (int64_t k = 0; k < n; ++k)
    y[k] = x[k] < lo ? lo : x[k] > hi ? hi : x[k];
}

static void clamp_backward(const float *restrict x, const float *restrict dy, float *restrict dx, int64_t n, float lo,
                           float hi) {
  for (int64_t k = 0; k < n; ++k) {
    float g = dy[k]; /* loaded either way, so that the select vectorizes */
    dx[k] += ((x[k] > lo) & (x[k] < hi)) ? g : 0.0f;
  }
}

/* ---- the passes ---- */

const float *cooptNetForward(coopt_net *net, const float *x) {
  net->nodes[net->input].y = (float *)x;
  for (int i = 0; i < net->count; ++i) {
    node *n = &net->nodes[i];
    const node *in = n->a >= 0 ? &net->nodes[n->a] : NULL;
    switch (n->kind) {
    case NODE_INPUT:
    case NODE_CONST: break;
    case NODE_CONV: conv_forward(net, n); break;
    case NODE_DEPTHWISE: depthwise_forward(net, n); break;
    case NODE_MATMUL: matmul_forward(net, n); break;
    case NODE_CLAMP: clamp_forward(in->y, n->y, n->size, n->lo, n->hi); break;
    case NODE_AVG_POOL: avg_pool(net, n, false); break;
    case NODE_MAX_POOL: max_pool(net, n, false); break;
    case NODE_RESHAPE: memcpy(n->y, in->y, (size_t)n->size * sizeof(float)); break;
    case NODE_TRANSPOSE: transpose_pass(net, n, false); break;
    case NODE_ADD: add_pass(net, n, false); break;
    }
  }
  return net->nodes[net->output].y;
}

void cooptNetBackward(coopt_net *net, const float *dy) {
  for (int i = 0; i < net->count; ++i)
    if (net->nodes[i].dy)
      memset(net->nodes[i].dy, 0, (size_t)net->nodes[i].size * sizeof(float));
  node *out = &net->nodes[net->output];
  if (!out->dy)
    return;
  memcpy(out->dy, dy, (size_t)out->size * sizeof(float));
  for (int i = net->count - 1; i >= 0; --i) {
    node *n = &net->nodes[i];
    if (!n->dy)
      continue;
    node *in = n->a >= 0 ? &net->nodes[n->a] : NULL;
    switch (n->kind) {
    case NODE_INPUT:
    case NODE_CONST: break;
    case NODE_CONV: conv_backward(net, n); break;
    case NODE_DEPTHWISE: depthwise_backward(net, n); break;
    case NODE_MATMUL: matmul_backward(net, n); break;
    case NODE_CLAMP:
      if (in->dy)
        clamp_backward(in->y, n->dy, in->dy, n->size, n->lo, n->hi);
      break;
    case NODE_AVG_POOL:
      if (in->dy)
        avg_pool(net, n, true);
      break;
    case NODE_MAX_POOL:
      if (in->dy)
        max_pool(net, n, true);
      break;
    case NODE_RESHAPE:
      if (in->dy)
        for (int64_t k = 0; k < n->size; ++k)
          in->dy[k] += n->dy[k];
      break;
    case NODE_TRANSPOSE:
      if (in->dy)
        transpose_pass(net, n, true);
      break;
    case NODE_ADD: add_pass(net, n, true); break;
    }
  }
}
