/*
 * coopt-permute-channels: reorder the channels between a producer and a
 * consumer layer so that a structured mask (N:M, 1xC blocks) that
 * coopt-prune puts on the consumer keeps more of what matters.
 *
 * The model computes the same function: the consumer's input channels, the
 * producer's output channels (weights and bias) and every per-channel
 * constant in between move together.  Between the two, the channels may
 * pass through ops that treat every channel alike (clamp and the other
 * unary elementwise ops, pooling, a reshape that keeps the channels last,
 * an add / sub / mul / maximum / minimum with a per-channel constant) and a
 * depthwise convolution of multiplier 1 (its channels move too).  Anything
 * else (a residual add, a value with two users, the function's input, a
 * constant shared with another op, a weight already compressed) leaves that
 * consumer's channels where they are, with a remark.
 *
 * The order comes from Analysis/ChannelPermute.h, on each weight's
 * importance w² · [H]_jj (H the gram of the consumer's inputs on `data`;
 * without data, w²).
 */
#include "Analysis/ChannelPermute.h"
#include "Analysis/Structure.h"
#include "Analysis/Weights.h"
#include "IR/Build.h"
#include "Support/Support.h"
#include "Transforms/LayerData.h"
#include "Transforms/WeightSelect.h"
#include "coopt/Diagnostics.h"
#include "coopt/Pass.h"

#include <math.h>
#include <mlir-c/BuiltinAttributes.h>
#include <mlir-c/BuiltinTypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct permute_options {
  char *pattern;
  double sparsity;
  coopt_list ops;
  int64_t min_elements;
  coopt_list filter;
  int64_t passes;
  coopt_data_options d;
} permute_options;

static const coopt_option_info permute_option_table[] = {
    {"pattern",
     COOPT_OPT_STRING,
     "the mask coopt-prune will put on the consumers: N:M (e.g. 2:4) or RxC blocks (e.g. 1x4)",
     "1x4",
     {0},
     NULL,
     offsetof(permute_options, pattern)},
    {"sparsity",
     COOPT_OPT_FLOAT,
     "RxC blocks: the fraction of blocks coopt-prune will zero (sets how many blocks a row keeps)",
     "0.5",
     {true, true, false, true, 0, 1},
     NULL,
     offsetof(permute_options, sparsity)},
    {"ops",
     COOPT_OPT_ENUM_LIST,
     "consumer op kinds whose input channels are reordered",
     "conv2d,transpose_conv2d,matmul",
     {0},
     coopt_weight_op_names,
     offsetof(permute_options, ops)},
    {"min-elements",
     COOPT_OPT_INT,
     "skip consumers with fewer weights",
     "0",
     {true, false, false, false, 0, 0},
     NULL,
     offsetof(permute_options, min_elements)},
    {"filter",
     COOPT_OPT_STRING_LIST,
     "only consumers whose op location contains one of these strings (empty: all)",
     "",
     {0},
     NULL,
     offsetof(permute_options, filter)},
    {"passes",
     COOPT_OPT_INT,
     "most passes of the swap search over a layer's channels (each tries every pair)",
     "2",
     {true, true, false, false, 1, 1000},
     NULL,
     offsetof(permute_options, passes)},
    COOPT_DATA_OPTION_TABLE(permute_options, "to weigh each weight by its input's energy (empty: by |w| alone)"),
};

static MlirStringRef S(const char *s) { return mlirStringRefCreateFromCString(s); }

static bool validate_permute(const void *opaque, char *msg, size_t size) {
  const permute_options *o = opaque;
  coopt_pattern p;
  if (!cooptParsePattern(o->pattern, &p, msg, size))
    return false;
  if (p.kind != COOPT_PAT_NM && p.kind != COOPT_PAT_BLOCK) {
    snprintf(msg, size, "pattern=%s groups no channels: give N:M or RxC", o->pattern);
    return false;
  }
  return !o->d.data[0] || cooptValidateSampleOptions(o->d.data, &o->d.normalize, msg, size);
}

/* ---- the chain from a consumer back to its producer ---- */

typedef enum edit_kind { EDIT_ROWS, EDIT_LAST_DIM } edit_kind;

/* One constant whose channels move: a weight's rows (producer, depthwise)
 * or the last dimension of a bias or per-channel constant. */
typedef struct chain_edit {
  edit_kind kind;
  const coopt_weight *weight; /* EDIT_ROWS */
  MlirOperation constant;     /* EDIT_LAST_DIM */
} chain_edit;

enum { MAX_EDITS = 64 };

typedef struct chain {
  chain_edit edits[MAX_EDITS];
  int n;
  int ops; /* ops the channels pass through, producer included */
} chain;

/* Is C the tensor's channel axis: its last dimension other than 1, with
 * only 1s after it?  Then element e has channel e mod C, whatever the
 * leading shape, so reshapes between such types keep the channels. */
static bool channels_last(MlirType t, int64_t C) {
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t))
    return false;
  for (intptr_t d = mlirShapedTypeGetRank(t) - 1; d >= 0; --d) {
    int64_t n = mlirShapedTypeGetDimSize(t, d);
    if (n != 1)
      return n == C;
  }
  return C == 1;
}

static const coopt_weight *weight_of(const coopt_weight_set *set, MlirOperation user) {
  for (size_t i = 0; i < set->count; ++i)
    if (mlirOperationEqual(set->items[i].user, user))
      return &set->items[i];
  return NULL;
}

static bool add_edit(chain *ch, edit_kind kind, const coopt_weight *w, MlirOperation c, char *why, size_t size) {
  if (ch->n == MAX_EDITS) {
    snprintf(why, size, "its channels pass through more than %d per-channel constants", MAX_EDITS);
    return false;
  }
  ch->edits[ch->n++] = (chain_edit){kind, w, c};
  return true;
}

/* A constant that can move: a tosa.const used once, f32, not compressed. */
static bool movable_constant(MlirValue v, char *why, size_t size) {
  MlirOperation c = cooptDefiningOp(v);
  if (mlirOperationIsNull(c) || !cooptOpIs(c, "tosa.const")) {
    snprintf(why, size, "a per-channel operand is not a constant");
    return false;
  }
  if (mlirOperationIsNull(cooptSoleUser(v))) {
    snprintf(why, size, "a per-channel constant has other users");
    return false;
  }
  if (!cooptIsF32Tensor(mlirValueGetType(v))) {
    snprintf(why, size, "a per-channel constant is not f32");
    return false;
  }
  if (cooptHasReference(c)) {
    snprintf(why, size, "a constant on the way was already compressed");
    return false;
  }
  return true;
}

/* Bias (operand 2) of a producer convolution: moves unless it is one value. */
static bool bias_edit(chain *ch, MlirOperation op, int64_t C, char *why, size_t size) {
  MlirValue b = mlirOperationGetOperand(op, 2);
  if (channels_last(mlirValueGetType(b), 1))
    return true;
  if (!channels_last(mlirValueGetType(b), C) || !movable_constant(b, why, size))
    return false;
  return add_edit(ch, EDIT_LAST_DIM, NULL, cooptDefiningOp(b), why, size);
}

/* A weight may move when one op uses it and nothing was recorded about it
 * (a structure record or a reference would describe the old order). */
static bool movable_weight(const coopt_weight *w) {
  coopt_structure st = cooptGetStructure(w);
  return w->num_users == 1 && !cooptHasReference(w->constant) && !st.has_sparsity && !st.has_clusters &&
         st.pattern.kind == COOPT_PAT_NONE;
}

/* A weight whose rows move: single user, not compressed. */
static bool rows_edit(chain *ch, const coopt_weight_set *set, MlirOperation op, char *why, size_t size) {
  const coopt_weight *w = weight_of(set, op);
  if (!w) {
    snprintf(why, size, "its producer's weight is not a constant");
    return false;
  }
  if (!movable_weight(w)) {
    snprintf(why, size, "its producer's weight is shared or already compressed");
    return false;
  }
  return add_edit(ch, EDIT_ROWS, w, (MlirOperation){NULL}, why, size);
}

static bool is_unary(MlirOperation op) {
  static const char *const names[] = {"tosa.clamp", "tosa.sigmoid",    "tosa.tanh",       "tosa.erf",    "tosa.exp",
                                      "tosa.abs",   "tosa.avg_pool2d", "tosa.max_pool2d", "tosa.reshape"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i)
    if (cooptOpIs(op, names[i]))
      return true;
  return false;
}

static bool is_binary(MlirOperation op) {
  return cooptOpIs(op, "tosa.add") || cooptOpIs(op, "tosa.sub") || cooptOpIs(op, "tosa.mul") ||
         cooptOpIs(op, "tosa.maximum") || cooptOpIs(op, "tosa.minimum");
}

/* The binary op's operand that carries the channels (the other one must be
 * a constant, recorded when per-channel); -1 when there is none. */
static int binary_step(chain *ch, MlirOperation op, int64_t C, char *why, size_t size) {
  for (int k = 0; k < 2; ++k) {
    MlirValue other = mlirOperationGetOperand(op, 1 - k);
    MlirOperation def = cooptDefiningOp(other);
    if (mlirOperationIsNull(def) || !cooptOpIs(def, "tosa.const"))
      continue;
    if (channels_last(mlirValueGetType(other), 1))
      return k;
    if (!channels_last(mlirValueGetType(other), C) || !movable_constant(other, why, size))
      return -1;
    return add_edit(ch, EDIT_LAST_DIM, NULL, def, why, size) ? k : -1;
  }
  cooptDescribeOp(op, why, size);
  size_t len = strlen(why);
  snprintf(why + len, size - len, " joins two computed values");
  return -1;
}

/* Walk from the consumer's input to the op whose output channels can move. */
static bool find_chain(const coopt_weight_set *set, const coopt_weight *consumer, chain *ch, char *why, size_t size) {
  int64_t C = consumer->inner;
  MlirValue v = mlirOperationGetOperand(consumer->user, 0);
  memset(ch, 0, sizeof *ch);
  for (;;) {
    if (!channels_last(mlirValueGetType(v), C)) {
      snprintf(why, size, "its input channels are not the last dimension on the way to their producer");
      return false;
    }
    if (mlirOperationIsNull(cooptSoleUser(v))) {
      snprintf(why, size, "a value on the way to its producer has other users");
      return false;
    }
    MlirOperation def = cooptDefiningOp(v);
    if (mlirOperationIsNull(def)) {
      snprintf(why, size, "its inputs are the function's arguments");
      return false;
    }
    ++ch->ops;
    if (cooptOpIs(def, "tosa.conv2d") || cooptOpIs(def, "tosa.transpose_conv2d"))
      return rows_edit(ch, set, def, why, size) && bias_edit(ch, def, C, why, size);
    if (cooptOpIs(def, "tosa.matmul")) {
      const coopt_weight *w = weight_of(set, def);
      if (w && w->shape[0] != 1) {
        snprintf(why, size, "its producer is a batched matmul");
        return false;
      }
      return rows_edit(ch, set, def, why, size);
    }
    if (cooptOpIs(def, "tosa.depthwise_conv2d")) {
      /* Output channel c*M + m reads input channel c: only M = 1 maps
       * channels one to one. */
      if (!channels_last(mlirValueGetType(mlirOperationGetOperand(def, 0)), C)) {
        snprintf(why, size, "a depthwise convolution on the way has a channel multiplier");
        return false;
      }
      if (!rows_edit(ch, set, def, why, size) || !bias_edit(ch, def, C, why, size))
        return false;
      v = mlirOperationGetOperand(def, 0);
    } else if (is_unary(def)) {
      v = mlirOperationGetOperand(def, 0);
    } else if (is_binary(def)) {
      int k = binary_step(ch, def, C, why, size);
      if (k < 0)
        return false;
      v = mlirOperationGetOperand(def, k);
    } else {
      char name[128];
      cooptDescribeOp(def, name, sizeof name);
      snprintf(why, size, "its channels come through %s", name);
      return false;
    }
  }
}

/* ---- applying an order ---- */

/* new[r][s][k] = old[r][s][perm[k]] over the consumer's canonical view. */
static void permute_inner(const coopt_weight *w, const int64_t *perm) {
  float *v = cooptWeightLoad(w), *n = coopt_xmalloc((size_t)w->num_elements * sizeof(float));
  int64_t C = w->inner, lines = w->num_elements / C;
  for (int64_t l = 0; l < lines; ++l)
    for (int64_t k = 0; k < C; ++k)
      n[l * C + k] = v[l * C + perm[k]];
  cooptWeightStore(w, n);
  free(v);
  free(n);
}

static void permute_rows(const coopt_weight *w, const int64_t *perm) {
  float *v = cooptWeightLoad(w), *n = coopt_xmalloc((size_t)w->num_elements * sizeof(float));
  int64_t per = w->num_elements / w->rows;
  for (int64_t r = 0; r < w->rows; ++r)
    memcpy(n + r * per, v + perm[r] * per, (size_t)per * sizeof(float));
  cooptWeightStore(w, n);
  free(v);
  free(n);
}

static void permute_last_dim(MlirOperation c, const int64_t *perm, int64_t C) {
  MlirAttribute a = mlirOperationGetAttributeByName(c, S("values"));
  int64_t n = mlirElementsAttrGetNumElements(a);
  float *x = coopt_xmalloc((size_t)n * sizeof(float));
  for (int64_t e = 0; e < n; ++e)
    x[e] = cooptDenseFloatAt(a, e - e % C + perm[e % C]);
  mlirOperationSetAttributeByName(c, S("values"), mlirDenseElementsAttrFloatGet(mlirAttributeGetType(a), n, x));
  free(x);
}

static void apply_order(const coopt_weight *consumer, const chain *ch, const int64_t *perm) {
  permute_inner(consumer, perm);
  for (int e = 0; e < ch->n; ++e) {
    if (ch->edits[e].kind == EDIT_ROWS)
      permute_rows(ch->edits[e].weight, perm);
    else
      permute_last_dim(ch->edits[e].constant, perm, consumer->inner);
  }
}

/* ---- the pass ---- */

typedef struct candidate {
  const coopt_weight *w;
  chain ch;
} candidate;

/* Importance of each weight, rows grouped by R: s[(g*spatial + t)*C + i]. */
static double *importance(const coopt_weight *w, const coopt_pattern *pat, const double *diag, int64_t *rows_out) {
  int64_t R = cooptPatternGroupRows(pat), C = w->inner, sp = w->spatial, groups = w->rows / R;
  float *v = cooptWeightLoad(w);
  double *s = coopt_xcalloc((size_t)(groups * sp * C + 1), sizeof(double));
  for (int64_t r = 0; r < w->rows; ++r)
    for (int64_t t = 0; t < sp; ++t)
      for (int64_t i = 0; i < C; ++i) {
        double x = v[(r * sp + t) * C + i];
        s[((r / R) * sp + t) * C + i] += x * x * (diag ? diag[t * C + i] : 1.0);
      }
  free(v);
  *rows_out = groups * sp;
  return s;
}

static void order_one(const permute_options *o, const coopt_pattern *pat, candidate *c, const double *diag) {
  const coopt_weight *w = c->w;
  int64_t rows = 0;
  double *s = importance(w, pat, diag, &rows);
  int64_t group = cooptPatternGroupCols(pat), ngroups = w->inner / group;
  int64_t zeroed = (int64_t)ceil(o->sparsity * (double)ngroups - 1e-9);
  coopt_permute_problem p = {s, rows, w->inner, group, ngroups - zeroed, pat->kind == COOPT_PAT_NM ? pat->n : 0};
  int64_t *perm = coopt_xmalloc((size_t)w->inner * sizeof(int64_t));
  double before = 0, after = 0;
  cooptPermuteSearch(&p, (int)o->passes, perm, &before, &after);
  char what[512];
  cooptWeightDescribe(w, what, sizeof what);
  MlirLocation loc = mlirOperationGetLocation(w->user);
  double total = 0;
  for (int64_t i = 0; i < rows * w->inner; ++i)
    total += s[i];
  if (after > before) {
    apply_order(w, &c->ch, perm);
    cooptEmitRemark(loc,
                    "coopt-permute-channels: %s: %lld input channels reordered with their producer (%d ops, %d "
                    "constants); importance kept by %s: %.4f -> %.4f",
                    what, (long long)w->inner, c->ch.ops, c->ch.n + 1, o->pattern, total > 0 ? before / total : 0,
                    total > 0 ? after / total : 0);
  } else {
    cooptEmitRemark(loc, "coopt-permute-channels: %s: no order keeps more than the present one (%.4f)", what,
                    total > 0 ? before / total : 0);
  }
  free(perm);
  free(s);
}

/* Consumers whose channels can move, each with its chain. */
static size_t find_candidates(const permute_options *o, const coopt_pattern *pat, const coopt_weight_set *set,
                              candidate *out) {
  int64_t group = cooptPatternGroupCols(pat), R = cooptPatternGroupRows(pat);
  size_t n = 0;
  for (size_t i = 0; i < set->count; ++i) {
    const coopt_weight *w = &set->items[i];
    if (w->op == COOPT_WOP_DEPTHWISE_CONV2D || !cooptWeightSelected(w, &o->ops, o->min_elements, &o->filter))
      continue;
    char what[512], why[256];
    cooptWeightDescribe(w, what, sizeof what);
    MlirLocation loc = mlirOperationGetLocation(w->user);
    if (w->inner % group != 0 || w->inner / group < 2)
      snprintf(why, sizeof why, "its %lld input channels do not make two or more groups of %lld", (long long)w->inner,
               (long long)group);
    else if (w->rows % R != 0)
      snprintf(why, sizeof why, "its %lld output channels are not a multiple of the %lld-row blocks",
               (long long)w->rows, (long long)R);
    else if (!movable_weight(w))
      snprintf(why, sizeof why, "it is shared or already compressed");
    else if (find_chain(set, w, &out[n].ch, why, sizeof why)) {
      out[n++].w = w;
      continue;
    }
    cooptEmitRemark(loc, "coopt-permute-channels: %s: %s; channels left in place", what, why);
  }
  return n;
}

/* Diagonal of each consumer's input gram (im2col order), from the data. */
static double **input_energies(MlirOperation module, MlirOperation fn, const permute_options *o, candidate *c,
                               size_t n) {
  int64_t batch = 0;
  coopt_samples s = {0};
  if (!cooptLoadPassSamples(module, fn, &o->d, "coopt-permute-channels", &batch, &s))
    return NULL;
  coopt_layer *layers = coopt_xcalloc(n, sizeof *layers);
  size_t m = 0, *which = coopt_xcalloc(n, sizeof *which);
  for (size_t i = 0; i < n; ++i) {
    char why[256];
    if (cooptLayerOf((coopt_weight *)c[i].w, batch, &layers[m], why, sizeof why))
      which[m++] = i;
  }
  double **per_layer = coopt_xcalloc(m + 1, sizeof *per_layer), **diag = NULL;
  if (cooptCollectInputEnergies(module, fn, o->d.entry, &s, layers, m, false, "coopt-permute-channels", per_layer)) {
    /* A convolution's or matmul's rows all read the same inputs: row 0's
     * entries are the energies of its im2col columns. */
    diag = coopt_xcalloc(n, sizeof *diag);
    for (size_t k = 0; k < m; ++k)
      diag[which[k]] = per_layer[k];
  }
  free(per_layer);
  free(which);
  free(layers);
  cooptSamplesFree(&s);
  return diag;
}

static coopt_pass_result run_permute(MlirOperation module, const void *opaque) {
  const permute_options *o = opaque;
  coopt_pattern pat;
  char msg[256];
  cooptParsePattern(o->pattern, &pat, msg, sizeof msg); /* validated */
  MlirOperation fn = cooptFindFunc(module, o->d.entry);
  if (mlirOperationIsNull(fn)) {
    cooptEmitError(mlirOperationGetLocation(module), "coopt-permute-channels: the module has no func.func @%s",
                   o->d.entry);
    return COOPT_PASS_FAILURE;
  }
  coopt_weight_set set;
  if (!cooptCollectWeights(fn, COOPT_WOP_ALL, false, &set)) {
    cooptWeightSetFree(&set);
    return COOPT_PASS_FAILURE;
  }
  candidate *c = coopt_xcalloc(set.count + 1, sizeof *c);
  size_t n = find_candidates(o, &pat, &set, c);
  double **diag = NULL;
  bool ok = true;
  if (n > 0 && o->d.data[0])
    ok = (diag = input_energies(module, fn, o, c, n)) != NULL;
  /* Last consumer first: a layer's rows move with the next layer's order
   * (its producer chain is that layer's alone), so when its own turn comes
   * its R-row groups are final; its input channels are still in the order
   * the grams were taken in. */
  for (size_t i = n; i-- > 0 && ok;)
    order_one(o, &pat, &c[i], diag ? diag[i] : NULL);
  if (diag)
    for (size_t i = 0; i < n; ++i)
      free(diag[i]);
  free(diag);
  free(c);
  cooptWeightSetFree(&set);
  return ok ? COOPT_PASS_SUCCESS : COOPT_PASS_FAILURE;
}

const coopt_pass_info coopt_permute_channels_pass = {
    .argument = "coopt-permute-channels",
    .summary = "Reorder channels between layers so that an N:M or block mask keeps more (the function is unchanged)",
    .description =
        "For each consumer layer, searches the order of its input channels under which the pattern's groups keep "
        "the most importance (w² times the input energy on data, or w²), and moves the producer's output channels, "
        "its bias and every per-channel constant in between with them.  The model computes the same function; "
        "run it before coopt-prune with the same pattern.",
    .anchor = "builtin.module",
    .options = permute_option_table,
    .num_options = sizeof permute_option_table / sizeof permute_option_table[0],
    .options_size = sizeof(permute_options),
    .validate = validate_permute,
    .run = run_permute,
};
