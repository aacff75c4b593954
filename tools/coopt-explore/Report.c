/*
 * coopt-explore's results: leaf.json (one leaf, written by its job), the
 * choice of a leaf, and the three documents made from all leaves:
 * results.json (the machine interface, docs/Explore.md), results.md (tfmot's
 * results table) and report.html (one self-contained page, inline SVG, no
 * scripts).
 */
#include "Explore.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- leaf.json ---- */

static void key_double(coopt_json *j, const char *k, double v) {
  coopt_json_key(j, k);
  coopt_json_double(j, v);
}
static void key_int(coopt_json *j, const char *k, int64_t v) {
  coopt_json_key(j, k);
  coopt_json_int(j, v);
}
static void key_string(coopt_json *j, const char *k, const char *v) {
  coopt_json_key(j, k);
  if (v)
    coopt_json_cstring(j, v);
  else
    coopt_json_double(j, NAN); /* null */
}
static void key_bool(coopt_json *j, const char *k, bool v) {
  coopt_json_key(j, k);
  coopt_json_bool(j, v);
}

/* The leaf's own fields, inside an object the caller opened. */
static void leaf_fields(coopt_json *j, const explore_leaf *l) {
  key_string(j, "name", l->name);
  key_int(j, "level", l->level);
  key_int(j, "calibration_items", l->calibration_items);
  key_string(j, "parent", l->parent[0] ? l->parent : NULL);
  key_string(j, "pipeline", l->pipeline);
  key_bool(j, "quantized", l->quantized);
  key_string(j, "error", l->error);
  key_double(j, "accuracy", l->accuracy);
  key_double(j, "fake_accuracy", l->fake_accuracy);
  key_double(j, "test_accuracy", l->test_accuracy);
  key_int(j, "validation_images", l->validation_images);
  key_int(j, "test_images", l->test_images);
  key_int(j, "bytes", l->bytes);
  key_int(j, "text_bytes", l->text_bytes);
  key_double(j, "latency_us", l->latency_us);
  key_bool(j, "latency_estimated", l->latency_estimated);
  key_double(j, "host_latency_us", l->host_latency_us);
  key_double(j, "compile_s", l->compile_s);
  key_string(j, "kernels", l->kernels);
  coopt_json_key(j, "density");
  if (!l->has_density) {
    coopt_json_double(j, NAN);
    return;
  }
  const explore_density *d = &l->density;
  coopt_json_begin_object(j);
  key_string(j, "layer", d->layer);
  key_double(j, "lo", d->lo);
  key_double(j, "hi", d->hi);
  key_int(j, "count", d->count);
  key_int(j, "zeros", d->zeros);
  key_int(j, "distinct", d->distinct);
  coopt_json_key(j, "bins");
  coopt_json_begin_inline_array(j);
  for (int b = 0; b < EXPLORE_BINS; ++b)
    coopt_json_int(j, d->bins[b]);
  coopt_json_end_array(j);
  coopt_json_end_object(j);
}

bool explore_leaf_write(const char *path, const explore_leaf *l, char *err, size_t err_size) {
  coopt_buf out;
  coopt_buf_init(&out);
  coopt_json j;
  coopt_json_init(&j, &out, true);
  coopt_json_begin_object(&j);
  leaf_fields(&j, l);
  coopt_json_end_object(&j);
  coopt_buf_putc(&out, '\n');
  bool ok = coopt_write_file_atomic(path, out.data, out.size, err, err_size);
  coopt_buf_free(&out);
  return ok;
}

void explore_leaf_free(explore_leaf *l) {
  free(l->pipeline), free(l->error);
  l->pipeline = l->error = NULL;
}

static double get_number(const coopt_jv *o, const char *k) {
  const coopt_jv *v = coopt_jv_get(o, k);
  return v && v->type == COOPT_JV_NUMBER ? v->number : NAN;
}

/* An integer member; 0 when absent, null or out of range. */
static int64_t get_int(const coopt_jv *o, const char *k) {
  double v = get_number(o, k);
  return v >= -9e18 && v <= 9e18 ? (int64_t)v : 0;
}

static bool get_string(const coopt_jv *o, const char *k, char *buf, size_t size) {
  const coopt_jv *v = coopt_jv_get(o, k);
  if (!v || v->type != COOPT_JV_STRING)
    return false;
  snprintf(buf, size, "%s", v->string);
  return true;
}

bool explore_leaf_read(const char *path, explore_leaf *l, char *err, size_t err_size) {
  memset(l, 0, sizeof *l);
  coopt_buf text;
  coopt_buf_init(&text);
  if (!coopt_read_file(path, &text)) {
    snprintf(err, err_size, "%s: cannot read it", path);
    return false;
  }
  coopt_jv v;
  char msg[256];
  bool ok = coopt_json_parse(text.data ? text.data : "", text.size, &v, msg, sizeof msg);
  coopt_buf_free(&text);
  if (!ok) {
    snprintf(err, err_size, "%s:%s", path, msg);
    return false;
  }
  const coopt_jv *pipe = coopt_jv_get(&v, "pipeline"), *lvl = coopt_jv_get(&v, "level");
  if (v.type != COOPT_JV_OBJECT || !get_string(&v, "name", l->name, sizeof l->name) || !pipe ||
      pipe->type != COOPT_JV_STRING || !lvl || lvl->type != COOPT_JV_NUMBER || lvl->number < -1 || lvl->number > 9) {
    snprintf(err, err_size, "%s: not a coopt-explore leaf (needs name, level and pipeline)", path);
    coopt_jv_free(&v);
    return false;
  }
  l->level = (int)lvl->number;
  get_string(&v, "parent", l->parent, sizeof l->parent);
  l->pipeline = coopt_xstrndup(pipe->string, strlen(pipe->string));
  const coopt_jv *e = coopt_jv_get(&v, "error"), *q = coopt_jv_get(&v, "quantized"),
                 *est = coopt_jv_get(&v, "latency_estimated");
  if (e && e->type == COOPT_JV_STRING)
    l->error = coopt_xstrndup(e->string, strlen(e->string));
  l->quantized = q && q->type == COOPT_JV_BOOL && q->boolean;
  l->latency_estimated = est && est->type == COOPT_JV_BOOL && est->boolean;
  l->accuracy = get_number(&v, "accuracy");
  l->fake_accuracy = get_number(&v, "fake_accuracy");
  l->test_accuracy = get_number(&v, "test_accuracy");
  l->validation_images = get_int(&v, "validation_images");
  l->calibration_items = get_int(&v, "calibration_items");
  l->test_images = get_int(&v, "test_images");
  l->bytes = get_int(&v, "bytes");
  l->text_bytes = get_int(&v, "text_bytes");
  l->latency_us = get_number(&v, "latency_us");
  l->host_latency_us = get_number(&v, "host_latency_us");
  l->compile_s = get_number(&v, "compile_s");
  get_string(&v, "kernels", l->kernels, sizeof l->kernels);
  l->evaluated = !l->error && isfinite(l->accuracy) && l->bytes > 0;
  const coopt_jv *d = coopt_jv_get(&v, "density");
  if (d && d->type == COOPT_JV_OBJECT) {
    const coopt_jv *bins = coopt_jv_get(d, "bins");
    if (bins && bins->type == COOPT_JV_ARRAY && bins->count == EXPLORE_BINS) {
      l->has_density = true;
      get_string(d, "layer", l->density.layer, sizeof l->density.layer);
      l->density.lo = get_number(d, "lo"), l->density.hi = get_number(d, "hi");
      l->density.count = get_int(d, "count");
      l->density.zeros = get_int(d, "zeros");
      l->density.distinct = get_int(d, "distinct");
      for (int b = 0; b < EXPLORE_BINS; ++b)
        l->density.bins[b] =
            bins->items[b].type == COOPT_JV_NUMBER && bins->items[b].number >= 0 && bins->items[b].number <= 9e18
                ? (int64_t)bins->items[b].number
                : 0;
    }
  }
  coopt_jv_free(&v);
  return true;
}

/* ---- the choice ---- */

double explore_accuracy_drop(const explore_results *r, int i) {
  if (r->baseline < 0 || !r->leaves[i].evaluated)
    return NAN;
  return r->leaves[r->baseline].accuracy - r->leaves[i].accuracy;
}

double explore_size_ratio(const explore_results *r, int i) {
  if (r->reference < 0 || !r->leaves[i].evaluated)
    return NAN;
  return (double)r->leaves[i].bytes / (double)r->leaves[r->reference].bytes;
}

bool explore_leaf_meets(const explore_options *o, const explore_results *r, int i, char *why, size_t why_size) {
  const explore_leaf *l = &r->leaves[i];
  const explore_targets *t = &o->targets;
  if (why_size)
    why[0] = 0;
  if (!l->evaluated) {
    snprintf(why, why_size, "%s", l->error ? "failed" : "not evaluated");
    return false;
  }
  double drop = explore_accuracy_drop(r, i), ratio = explore_size_ratio(r, i);
  size_t u = 0;
#define MISS(...) (u += (size_t)snprintf(why + u, why_size > u ? why_size - u : 0, __VA_ARGS__))
  if (!isnan(t->max_drop) && !(drop <= t->max_drop + 1e-9))
    MISS("%saccuracy drop %.2f > %.2f", u ? ", " : "", drop, t->max_drop);
  if (!isnan(t->min_accuracy) && !(l->accuracy >= t->min_accuracy - 1e-9))
    MISS("%saccuracy %.2f%% < %.2f%%", u ? ", " : "", l->accuracy, t->min_accuracy);
  if (!isnan(t->max_bytes) && !((double)l->bytes <= t->max_bytes))
    MISS("%s%lld bytes > %.0f", u ? ", " : "", (long long)l->bytes, t->max_bytes);
  if (!isnan(t->max_ratio) && !(ratio <= t->max_ratio + 1e-9))
    MISS("%ssize %.2fx > %.2fx", u ? ", " : "", ratio, t->max_ratio);
  if (!isnan(t->max_latency_us) && !(l->latency_us <= t->max_latency_us))
    MISS("%slatency %.1f us > %.1f us", u ? ", " : "", l->latency_us, t->max_latency_us);
#undef MISS
  return u == 0;
}

/* How far a leaf is from the targets: the sum of its relative misses. */
static double distance(const explore_options *o, const explore_results *r, int i) {
  const explore_leaf *l = &r->leaves[i];
  const explore_targets *t = &o->targets;
  if (!l->evaluated)
    return INFINITY;
  double d = 0, drop = explore_accuracy_drop(r, i), ratio = explore_size_ratio(r, i);
  if (!isnan(t->max_drop) && drop > t->max_drop)
    d += (drop - t->max_drop) / (t->max_drop > 1 ? t->max_drop : 1);
  if (!isnan(t->min_accuracy) && l->accuracy < t->min_accuracy)
    d += (t->min_accuracy - l->accuracy) / 1.0;
  if (!isnan(t->max_bytes) && (double)l->bytes > t->max_bytes)
    d += ((double)l->bytes - t->max_bytes) / t->max_bytes;
  if (!isnan(t->max_ratio) && ratio > t->max_ratio)
    d += (ratio - t->max_ratio) / t->max_ratio;
  if (!isnan(t->max_latency_us) && l->latency_us > t->max_latency_us)
    d += (l->latency_us - t->max_latency_us) / t->max_latency_us;
  return d;
}

static bool dominates(const explore_leaf *a, const explore_leaf *b) {
  bool ge = a->accuracy >= b->accuracy && a->bytes <= b->bytes && !(a->latency_us > b->latency_us);
  bool gt = a->accuracy > b->accuracy || a->bytes < b->bytes || a->latency_us < b->latency_us;
  return ge && gt;
}

static bool on_frontier(const explore_results *r, int i) {
  if (!r->leaves[i].evaluated)
    return false;
  for (int k = 0; k < r->count; ++k)
    if (k != i && r->leaves[k].evaluated && dominates(&r->leaves[k], &r->leaves[i]))
      return false;
  return true;
}

void explore_choose(const explore_options *o, explore_results *r) {
  r->chosen = r->baseline = r->reference = -1;
  r->why[0] = 0;
  for (int i = 0; i < r->count; ++i) {
    if (!strcmp(r->leaves[i].name, "float") && r->leaves[i].evaluated)
      r->baseline = i;
    if (r->leaves[i].level == 0 && r->leaves[i].evaluated && r->reference < 0)
      r->reference = i;
  }
  if (r->reference < 0)
    r->reference = r->baseline;
  free(r->meets);
  r->meets = coopt_xcalloc((size_t)(r->count ? r->count : 1), sizeof(bool));
  char why[256];
  for (int i = 0; i < r->count; ++i)
    r->meets[i] = r->leaves[i].level >= 0 && explore_leaf_meets(o, r, i, why, sizeof why);
  /* first-fit (tfmot's process) looks no further than the first level that
   * has a leaf meeting every target; pareto looks at every level.  Among
   * the candidates: the smallest, where sizes within 1% of the smallest
   * count as equal (a code generator's constant pools move a leaf by a few
   * hundred bytes), then the most accurate, the fastest, the first in tree
   * order. */
  bool first_fit = !strcmp(o->strategy, "first-fit");
  int level = -1;
  if (first_fit)
    for (int i = 0; i < r->count; ++i)
      if (r->meets[i] && (level < 0 || r->leaves[i].level < level))
        level = r->leaves[i].level;
  int64_t smallest = -1;
  for (int i = 0; i < r->count; ++i)
    if (r->meets[i] && (!first_fit || r->leaves[i].level == level) && (smallest < 0 || r->leaves[i].bytes < smallest))
      smallest = r->leaves[i].bytes;
  for (int i = 0; i < r->count; ++i) {
    if (!r->meets[i] || (first_fit && r->leaves[i].level != level) ||
        (double)r->leaves[i].bytes > 1.01 * (double)smallest)
      continue;
    const explore_leaf *a = &r->leaves[i], *b = r->chosen >= 0 ? &r->leaves[r->chosen] : NULL;
    if (!b || a->accuracy > b->accuracy || (a->accuracy == b->accuracy && a->latency_us < b->latency_us))
      r->chosen = i;
  }
  if (r->chosen >= 0)
    return;
  /* Which target failed: how many leaves meet each one alone. */
  size_t u = 0;
  int evaluated = 0;
  for (int i = 0; i < r->count; ++i)
    evaluated += r->leaves[i].level >= 0 && r->leaves[i].evaluated;
  u += (size_t)snprintf(r->why + u, sizeof r->why - u, "no leaf meets every target (%d evaluated):", evaluated);
  const char *names[5] = {"--max-accuracy-drop", "--min-accuracy", "--max-bytes", "--max-size-ratio",
                          "--max-latency-us"};
  const double *vals[5] = {&o->targets.max_drop, &o->targets.min_accuracy, &o->targets.max_bytes, &o->targets.max_ratio,
                           &o->targets.max_latency_us};
  for (int k = 0; k < 5; ++k) {
    if (isnan(*vals[k]))
      continue;
    explore_options one = *o;
    one.targets = (explore_targets){NAN, NAN, NAN, NAN, NAN};
    double *slot = k == 0   ? &one.targets.max_drop
                   : k == 1 ? &one.targets.min_accuracy
                   : k == 2 ? &one.targets.max_bytes
                   : k == 3 ? &one.targets.max_ratio
                            : &one.targets.max_latency_us;
    *slot = *vals[k];
    int met = 0;
    for (int i = 0; i < r->count; ++i)
      met += r->leaves[i].level >= 0 && explore_leaf_meets(&one, r, i, why, sizeof why);
    u += (size_t)snprintf(r->why + u, sizeof r->why > u ? sizeof r->why - u : 0, " %s=%g is met by %d;", names[k],
                          *vals[k], met);
  }
  if (u && u < sizeof r->why && r->why[u - 1] == ';')
    r->why[u - 1] = 0;
}

/* The leaves nearest to the targets (for the message when none meets them). */
static int closest(const explore_options *o, const explore_results *r, int *out, int max) {
  int n = 0;
  for (int i = 0; i < r->count; ++i) {
    if (r->leaves[i].level < 0 || !r->leaves[i].evaluated)
      continue;
    double d = distance(o, r, i);
    int k = n < max ? n++ : max;
    while (k > 0 && distance(o, r, out[k - 1]) > d) {
      if (k < max)
        out[k] = out[k - 1];
      --k;
    }
    if (k < max)
      out[k] = i;
  }
  return n;
}

/* The validation items the leaves were chosen on (what they record, so
 * that --collect reports what the jobs did, whatever its own options). */
static long long validation_images(const explore_options *o, const explore_results *r) {
  for (int i = 0; i < r->count; ++i)
    if (r->leaves[i].evaluated && r->leaves[i].validation_images > 0)
      return (long long)r->leaves[i].validation_images;
  return (long long)o->validation;
}

static long long calibration_items(const explore_options *o, const explore_results *r) {
  for (int i = 0; i < r->count; ++i)
    if (r->leaves[i].calibration_items > 0)
      return (long long)r->leaves[i].calibration_items;
  return (long long)o->calibration;
}

/* ---- results.json ---- */

void explore_write_json(const explore_options *o, const explore_results *r, coopt_buf *out) {
  coopt_json j;
  coopt_json_init(&j, out, true);
  coopt_json_begin_object(&j);
  key_string(&j, "tool", "coopt-explore");
  key_string(&j, "model", o->model);
  key_string(&j, "target", o->target);
  key_string(&j, "strategy", o->strategy);
  key_string(&j, "objective", o->objective ? o->objective : "balanced");
  coopt_json_key(&j, "targets");
  coopt_json_begin_object(&j);
  key_double(&j, "max_accuracy_drop", o->targets.max_drop);
  key_double(&j, "min_accuracy", o->targets.min_accuracy);
  key_double(&j, "max_bytes", o->targets.max_bytes);
  key_double(&j, "max_size_ratio", o->targets.max_ratio);
  key_double(&j, "max_latency_us", o->targets.max_latency_us);
  coopt_json_end_object(&j);
  coopt_json_key(&j, "splits");
  coopt_json_begin_object(&j);
  key_int(&j, "calibration", calibration_items(o, r));
  key_int(&j, "validation", validation_images(o, r));
  key_string(&j, "validation_from", "the last `validation` training items (never calibration data)");
  key_int(&j, "test", r->baseline >= 0 ? r->leaves[r->baseline].test_images : 0);
  coopt_json_end_object(&j);
  key_string(&j, "baseline", r->baseline >= 0 ? r->leaves[r->baseline].name : NULL);
  key_string(&j, "size_reference", r->reference >= 0 ? r->leaves[r->reference].name : NULL);
  coopt_json_key(&j, "leaves");
  coopt_json_begin_array(&j);
  for (int i = 0; i < r->count; ++i) {
    coopt_json_begin_object(&j);
    leaf_fields(&j, &r->leaves[i]);
    key_double(&j, "accuracy_drop", explore_accuracy_drop(r, i));
    key_double(&j, "size_ratio", explore_size_ratio(r, i));
    key_bool(&j, "meets_targets", r->meets[i]);
    key_bool(&j, "on_frontier", on_frontier(r, i));
    coopt_json_end_object(&j);
  }
  coopt_json_end_array(&j);
  key_string(&j, "chosen", r->chosen >= 0 ? r->leaves[r->chosen].name : NULL);
  key_string(&j, "unmet", r->chosen >= 0 ? NULL : r->why);
  coopt_json_end_object(&j);
  coopt_buf_putc(out, '\n');
}

/* ---- results.md ---- */

static void fmt_pct(char *b, size_t n, double v) {
  if (isnan(v))
    snprintf(b, n, "–");
  else
    snprintf(b, n, "%.2f", v);
}

static void targets_text(const explore_options *o, coopt_buf *out) {
  const explore_targets *t = &o->targets;
  int n = 0;
#define SEP (n++ ? ", " : "")
  if (!isnan(t->max_drop))
    coopt_buf_printf(out, "%saccuracy drop ≤ %g points", SEP, t->max_drop);
  if (!isnan(t->min_accuracy))
    coopt_buf_printf(out, "%saccuracy ≥ %g%%", SEP, t->min_accuracy);
  if (!isnan(t->max_bytes))
    coopt_buf_printf(out, "%s≤ %.0f bytes", SEP, t->max_bytes);
  if (!isnan(t->max_ratio))
    coopt_buf_printf(out, "%s≤ %g× the size reference", SEP, t->max_ratio);
  if (!isnan(t->max_latency_us))
    coopt_buf_printf(out, "%slatency ≤ %g µs", SEP, t->max_latency_us);
  if (!n)
    coopt_buf_puts(out, "none");
#undef SEP
}

void explore_write_markdown(const explore_options *o, const explore_results *r, coopt_buf *out) {
  coopt_buf_printf(out, "# coopt-explore: %s for %s (%s)\n\n", o->model, o->target, o->strategy);
  coopt_buf_puts(out, "Targets: ");
  targets_text(o, out);
  coopt_buf_printf(out,
                   ".  Accuracy: top-1 on %lld validation images (the last of the training split; never "
                   "calibration data); test: reported only.  Size: the object's weights (.rodata) for the "
                   "target; × against `%s`.  Latency: %s.\n\n",
                   validation_images(o, r), r->reference >= 0 ? r->leaves[r->reference].name : "-",
                   strcmp(o->target, "x86_64") ? "an estimate from the kernel cost model (docs/Explore.md), "
                                                 "host-measured in results.json"
                                               : "measured on this host, one image, median");
  coopt_buf_puts(out, "| level | leaf | FP32 / fake-INT8 (val) | INT8 (val) | test | bytes | × | latency µs | "
                      "compile s | targets |\n|---|---|---|---|---|---|---|---|---|---|\n");
  char why[256];
  for (int i = 0; i < r->count; ++i) {
    const explore_leaf *l = &r->leaves[i];
    char a[32], b[32], c[32];
    if (!l->evaluated) {
      coopt_buf_printf(out, "| %d | %s | – | – | – | – | – | – | – | %s |\n", l->level, l->name,
                       l->error ? "failed" : "not evaluated");
      continue;
    }
    fmt_pct(a, sizeof a, l->quantized ? l->fake_accuracy : l->accuracy);
    fmt_pct(b, sizeof b, l->quantized ? l->accuracy : NAN);
    fmt_pct(c, sizeof c, l->test_accuracy);
    explore_leaf_meets(o, r, i, why, sizeof why);
    coopt_buf_printf(out, "| %d | %s%s%s | %s | %s | %s | %lld | %.2f | %.1f%s | %.1f | %s |\n", l->level,
                     i == r->chosen ? "**" : "", l->name, i == r->chosen ? "**" : "", a, b, c, (long long)l->bytes,
                     explore_size_ratio(r, i), l->latency_us, l->latency_estimated ? " (est.)" : "", l->compile_s,
                     l->level < 0  ? "baseline"
                     : r->meets[i] ? "met"
                                   : why);
  }
  for (int i = 0; i < r->count; ++i)
    if (r->leaves[i].error)
      coopt_buf_printf(out, "\n%s failed: `%s`\n", r->leaves[i].name, r->leaves[i].error);
  if (r->chosen >= 0) {
    const explore_leaf *l = &r->leaves[r->chosen];
    coopt_buf_printf(out,
                     "\nChosen: **%s** (level %d): %.2f%% on validation (%.2f drop), %.2f%% on test, %lld bytes "
                     "(%.2f×), %.1f µs%s.\n\n    coopt-opt model.mlir -p '%s'\n",
                     l->name, l->level, l->accuracy, explore_accuracy_drop(r, r->chosen), l->test_accuracy,
                     (long long)l->bytes, explore_size_ratio(r, r->chosen), l->latency_us,
                     l->latency_estimated ? " (estimated)" : "", l->pipeline);
  } else {
    coopt_buf_printf(out, "\nNothing chosen: %s.\n", r->why);
    int near[3], n = closest(o, r, near, 3);
    for (int k = 0; k < n; ++k)
      coopt_buf_printf(out, "%s closest: %s (%s)\n", k ? "" : "\n", r->leaves[near[k]].name,
                       (explore_leaf_meets(o, r, near[k], why, sizeof why), why));
  }
}

/* ---- report.html ---- */

static void esc(coopt_buf *out, const char *s) {
  for (; s && *s; ++s) {
    switch (*s) {
    case '&': coopt_buf_puts(out, "&amp;"); break;
    case '<': coopt_buf_puts(out, "&lt;"); break;
    case '>': coopt_buf_puts(out, "&gt;"); break;
    case '"': coopt_buf_puts(out, "&quot;"); break;
    default: coopt_buf_putc(out, *s);
    }
  }
}

static void human_bytes(char *b, size_t n, int64_t v) {
  if (v >= 1000000)
    snprintf(b, n, "%.2f MB", (double)v / 1e6);
  else if (v >= 1000)
    snprintf(b, n, "%.1f kB", (double)v / 1e3);
  else
    snprintf(b, n, "%lld B", (long long)v);
}

#define NODE_W 200
#define NODE_H 62
#define COL_W  250
#define ROW_H  76

static void svg_tree(const explore_options *o, const explore_results *r, coopt_buf *out) {
  int min_level = 0, max_level = 0;
  for (int i = 0; i < r->count; ++i) {
    min_level = r->leaves[i].level < min_level ? r->leaves[i].level : min_level;
    max_level = r->leaves[i].level > max_level ? r->leaves[i].level : max_level;
  }
  int cols = max_level - min_level + 1, rows[12] = {0}, max_rows = 1;
  int *x = coopt_xcalloc((size_t)r->count + 1, sizeof(int)), *y = coopt_xcalloc((size_t)r->count + 1, sizeof(int));
  for (int i = 0; i < r->count; ++i) {
    int c = r->leaves[i].level - min_level;
    x[i] = 10 + c * COL_W;
    y[i] = 40 + rows[c]++ * ROW_H;
    max_rows = rows[c] > max_rows ? rows[c] : max_rows;
  }
  /* The float model sits level with the middle of the tree, so that its
   * edges to level 1 pass beside level 0's boxes rather than under them. */
  for (int i = 0; i < r->count; ++i)
    if (r->leaves[i].level < 0 && rows[r->leaves[i].level - min_level] == 1)
      y[i] = 40 + (max_rows - 1) / 2 * ROW_H;
  int w = 20 + cols * COL_W, h = 50 + max_rows * ROW_H;
  coopt_buf_printf(
      out,
      "<svg id=\"tree\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "role=\"img\" aria-label=\"deployment tree\">\n",
      w, h, w, h);
  for (int c = 0; c < cols; ++c)
    coopt_buf_printf(out, "<text class=\"level\" x=\"%d\" y=\"22\">%s %d</text>\n", 10 + c * COL_W,
                     c + min_level < 0 ? "baseline" : "level", c + min_level < 0 ? 0 : c + min_level);
  /* Edges first, under the boxes. */
  for (int i = 0; i < r->count; ++i) {
    int p = -1;
    for (int k = 0; k < r->count; ++k)
      if (r->leaves[i].parent[0] ? !strcmp(r->leaves[k].name, r->leaves[i].parent)
                                 : r->leaves[i].level >= 0 && k == r->baseline)
        p = k;
    if (p < 0)
      continue;
    int x0 = x[p] + NODE_W, y0 = y[p] + NODE_H / 2, x1 = x[i], y1 = y[i] + NODE_H / 2;
    if (x1 <= x0) /* same column: go round the right side */
      coopt_buf_printf(out, "<path class=\"edge\" d=\"M%d %d C%d %d %d %d %d %d\"/>\n", x0, y0, x0 + 30, y0, x0 + 30,
                       y1, x1 + NODE_W, y1);
    else
      coopt_buf_printf(out, "<path class=\"edge\" d=\"M%d %d C%d %d %d %d %d %d\"/>\n", x0, y0, (x0 + x1) / 2, y0,
                       (x0 + x1) / 2, y1, x1, y1);
  }
  char why[256];
  for (int i = 0; i < r->count; ++i) {
    const explore_leaf *l = &r->leaves[i];
    const char *cls = i == r->chosen  ? "node chosen"
                      : !l->evaluated ? (l->error ? "node failed" : "node skipped")
                      : r->meets[i]   ? "node meets"
                                      : "node";
    coopt_buf_printf(out, "<g class=\"%s\" id=\"node-", cls);
    esc(out, l->name);
    coopt_buf_printf(out, "\"><title>");
    esc(out, l->pipeline);
    coopt_buf_printf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"6\"/>\n", x[i], y[i], NODE_W,
                     NODE_H);
    coopt_buf_printf(out, "<text x=\"%d\" y=\"%d\" class=\"name\">", x[i] + 8, y[i] + 18);
    esc(out, l->name);
    coopt_buf_puts(out, "</text>\n");
    if (l->evaluated) {
      char b[32];
      human_bytes(b, sizeof b, l->bytes);
      coopt_buf_printf(out, "<text x=\"%d\" y=\"%d\">%.2f%% · %s (%.2f×)</text>\n", x[i] + 8, y[i] + 36, l->accuracy, b,
                       explore_size_ratio(r, i));
      coopt_buf_printf(out, "<text x=\"%d\" y=\"%d\">%.1f µs%s · %s</text>\n", x[i] + 8, y[i] + 53, l->latency_us,
                       l->latency_estimated ? " est." : "",
                       l->level < 0  ? "baseline"
                       : r->meets[i] ? "meets targets"
                                     : (explore_leaf_meets(o, r, i, why, sizeof why), "misses"));
    } else {
      coopt_buf_printf(out, "<text x=\"%d\" y=\"%d\">%s</text>\n", x[i] + 8, y[i] + 40,
                       l->error ? "failed" : "not evaluated (first-fit stopped)");
    }
    coopt_buf_puts(out, "</g>\n");
  }
  coopt_buf_puts(out, "</svg>\n");
  free(x), free(y);
}

static void svg_density(const explore_leaf *l, const char *caption, coopt_buf *out) {
  const explore_density *d = &l->density;
  int w = 300, h = 150, pw = 280, ph = 96;
  int64_t top = 1;
  for (int b = 0; b < EXPLORE_BINS; ++b)
    top = d->bins[b] > top ? d->bins[b] : top;
  coopt_buf_printf(out,
                   "<figure class=\"density\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                   "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"weight density\">\n",
                   w, h, w, h);
  double bw = (double)pw / EXPLORE_BINS;
  for (int b = 0; b < EXPLORE_BINS; ++b) {
    /* sqrt scale: the zero spike of a pruned layer would flatten the rest */
    double bh = d->bins[b] ? 2 + (ph - 2) * sqrt((double)d->bins[b] / (double)top) : 0;
    coopt_buf_printf(out, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", 10 + b * bw,
                     10 + ph - bh, bw > 1 ? bw - 0.5 : bw, bh);
  }
  coopt_buf_printf(out, "<line class=\"axis\" x1=\"10\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", 10 + ph, 10 + pw, 10 + ph);
  coopt_buf_printf(out, "<text x=\"10\" y=\"%d\">%.3g</text><text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.3g</text>\n",
                   ph + 26, d->lo, 10 + pw, ph + 26, d->hi);
  coopt_buf_printf(out, "<text x=\"10\" y=\"%d\">%.1f%% zero · %lld distinct of %lld</text>\n", ph + 44,
                   d->count ? 100.0 * (double)d->zeros / (double)d->count : 0.0, (long long)d->distinct,
                   (long long)d->count);
  coopt_buf_puts(out, "</svg><figcaption>");
  esc(out, caption);
  coopt_buf_puts(out, "</figcaption></figure>\n");
}

/* A scatter plot's frame: the SVG's size, its margins and the value
 * ranges its axes span. */
typedef struct plot {
  int w, h, L, R, T, B;
  bool latency; /* x is latency (else bytes) */
  double xmin, xmax, ymin, ymax;
} plot;

static double plot_x_of(const plot *p, const explore_leaf *l) { return p->latency ? l->latency_us : (double)l->bytes; }
static double plot_px(const plot *p, double v) {
  return p->L + (v - p->xmin) / (p->xmax - p->xmin) * (p->w - p->L - p->R);
}
static double plot_py(const plot *p, double v) {
  return p->h - p->B - (v - p->ymin) / (p->ymax - p->ymin) * (p->h - p->T - p->B);
}

/* The ranges of the evaluated leaves, padded so that no point sits on an
 * axis; false when no leaf was evaluated. */
static bool plot_bounds(plot *p, const explore_results *r) {
  p->xmin = p->ymin = INFINITY, p->xmax = p->ymax = -INFINITY;
  for (int i = 0; i < r->count; ++i) {
    const explore_leaf *l = &r->leaves[i];
    if (!l->evaluated)
      continue;
    double xv = plot_x_of(p, l);
    p->xmin = xv < p->xmin ? xv : p->xmin, p->xmax = xv > p->xmax ? xv : p->xmax;
    p->ymin = l->accuracy < p->ymin ? l->accuracy : p->ymin, p->ymax = l->accuracy > p->ymax ? l->accuracy : p->ymax;
  }
  if (!isfinite(p->xmin))
    return false;
  if (p->xmax - p->xmin < 1e-9)
    p->xmax = p->xmin + 1, p->xmin -= 1;
  if (p->ymax - p->ymin < 0.5)
    p->ymax += 0.25, p->ymin -= 0.25;
  double xpad = 0.05 * (p->xmax - p->xmin), ypad = 0.08 * (p->ymax - p->ymin);
  p->xmin -= xpad, p->xmax += xpad, p->ymin -= ypad, p->ymax += ypad;
  return true;
}

static void plot_axes(const plot *p, coopt_buf *out) {
  int w = p->w, h = p->h, L = p->L, R = p->R, T = p->T, B = p->B;
  coopt_buf_printf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", L, h - B, w - R, h - B);
  coopt_buf_printf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", L, T, L, h - B);
  for (int k = 0; k <= 4; ++k) {
    double xv = p->xmin + (p->xmax - p->xmin) * k / 4, yv = p->ymin + (p->ymax - p->ymin) * k / 4;
    char b[32];
    if (p->latency)
      snprintf(b, sizeof b, "%.0f µs", xv);
    else
      human_bytes(b, sizeof b, (int64_t)xv);
    coopt_buf_printf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", plot_px(p, xv), h - B + 18,
                     b);
    coopt_buf_printf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f%%</text>\n", L - 6, plot_py(p, yv) + 4,
                     yv);
  }
  coopt_buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", (L + w - R) / 2, h - 10,
                   p->latency ? "latency per image" : "deployable bytes (weights)");
}

/* The evaluated leaves sorted by x (ties: the more accurate first), into
 * idx; their count.  Walking them, a point more accurate than all before it
 * is on the frontier. */
static int frontier_order(const plot *p, const explore_results *r, int *idx) {
  int n = 0;
  for (int i = 0; i < r->count; ++i)
    if (r->leaves[i].evaluated)
      idx[n++] = i;
  for (int a = 1; a < n; ++a)
    for (int b = a; b > 0; --b) {
      const explore_leaf *u = &r->leaves[idx[b - 1]], *q = &r->leaves[idx[b]];
      double ux = plot_x_of(p, u), qx = plot_x_of(p, q);
      if (qx < ux || (qx == ux && q->accuracy > u->accuracy)) {
        int t = idx[b];
        idx[b] = idx[b - 1], idx[b - 1] = t;
      }
    }
  return n;
}

/* Every point has its name as a tooltip; only the frontier's and the
 * chosen one are labelled, the rest would print over each other. */
static void plot_points(const plot *p, const explore_results *r, const int *idx, int n, coopt_buf *out) {
  double best = -INFINITY;
  for (int k = 0; k < n; ++k) {
    int i = idx[k];
    const explore_leaf *l = &r->leaves[i];
    bool front = l->accuracy > best;
    best = front ? l->accuracy : best;
    double px = plot_px(p, plot_x_of(p, l)), py = plot_py(p, l->accuracy);
    coopt_buf_printf(out, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%d\"><title>",
                     i == r->chosen ? "point chosen" : "point", px, py, i == r->chosen ? 7 : 4);
    esc(out, l->name);
    coopt_buf_printf(out, ": %.2f%%</title></circle>\n", l->accuracy);
    if (front || i == r->chosen) {
      coopt_buf_printf(out, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\">", px + 6, py - 5);
      esc(out, l->name);
      coopt_buf_puts(out, "</text>\n");
    }
  }
}

/* Accuracy against bytes or latency, with the 2-D frontier. */
static void svg_scatter(const explore_results *r, bool latency, coopt_buf *out) {
  plot p = {.w = 640, .h = 380, .L = 60, .R = 50, .T = 20, .B = 50, .latency = latency};
  coopt_buf_printf(
      out,
      "<svg id=\"scatter-%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
      "role=\"img\" aria-label=\"accuracy against %s\">\n",
      latency ? "latency" : "bytes", p.w, p.h, p.w, p.h, latency ? "latency" : "bytes");
  if (!plot_bounds(&p, r)) {
    coopt_buf_puts(out, "<text x=\"20\" y=\"40\">no evaluated leaf</text></svg>\n");
    return;
  }
  plot_axes(&p, out);
  int *idx = coopt_xmalloc((size_t)r->count * sizeof(int) + 1);
  int n = frontier_order(&p, r, idx);
  coopt_buf_puts(out, "<polyline class=\"frontier\" points=\"");
  double best = -INFINITY;
  for (int k = 0; k < n; ++k) {
    const explore_leaf *l = &r->leaves[idx[k]];
    if (l->accuracy > best) {
      best = l->accuracy;
      coopt_buf_printf(out, "%.1f,%.1f ", plot_px(&p, plot_x_of(&p, l)), plot_py(&p, l->accuracy));
    }
  }
  coopt_buf_puts(out, "\"/>\n");
  plot_points(&p, r, idx, n, out);
  free(idx);
  coopt_buf_puts(out, "</svg>\n");
}

static const char css[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2328}"
    "h1{font-size:22px}h2{font-size:17px;margin-top:28px}"
    "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:right}"
    "td:nth-child(2),th:nth-child(2),td:last-child{text-align:left}"
    "tr.chosen{background:#dafbe1;font-weight:600}code{font-size:12px;word-break:break-all}"
    "svg text{font:12px system-ui,sans-serif;fill:#1f2328}svg text.level{font-weight:600}"
    ".node rect{fill:#f6f8fa;stroke:#8c959f}.node.meets rect{fill:#ddf4ff;stroke:#54aeff}"
    ".node.chosen rect{fill:#dafbe1;stroke:#1a7f37;stroke-width:3}.node.failed rect{fill:#ffebe9;stroke:#cf222e;"
    "stroke-dasharray:4 3}.node.skipped rect{fill:#fff;stroke:#d0d7de;stroke-dasharray:2 3}.node "
    "text.name{font-weight:600}"
    ".edge{fill:none;stroke:#8c959f;stroke-width:1.5}.bar{fill:#0969da}.axis{stroke:#57606a}"
    ".frontier{fill:none;stroke:#1a7f37;stroke-width:2;stroke-dasharray:5 3}.point{fill:#0969da}"
    ".point.chosen{fill:#1a7f37}text.label{font-size:10px;fill:#57606a}"
    "figure.density{display:inline-block;margin:0 12px 12px 0}figcaption{font-size:12px;max-width:300px}";

/* The title, the targets and the chosen leaf (or why none was). */
static void html_summary(const explore_options *o, const explore_results *r, coopt_buf *out) {
  coopt_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>coopt-explore: ");
  esc(out, o->model);
  coopt_buf_printf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>coopt-explore: ", css);
  esc(out, o->model);
  coopt_buf_printf(out, " for %s</h1>\n<p>Strategy <b>%s</b>. Targets: ", o->target, o->strategy);
  coopt_buf targets;
  coopt_buf_init(&targets);
  targets_text(o, &targets);
  esc(out, targets.data);
  coopt_buf_free(&targets);
  coopt_buf_printf(out,
                   ". Accuracy is top-1 on %lld validation images carved from the training split; size is the "
                   "weights section of the object for the target, × against <code>%s</code>.</p>\n",
                   validation_images(o, r), r->reference >= 0 ? r->leaves[r->reference].name : "-");
  if (r->chosen >= 0) {
    const explore_leaf *l = &r->leaves[r->chosen];
    coopt_buf_puts(out, "<p id=\"chosen\">Chosen leaf: <b>");
    esc(out, l->name);
    coopt_buf_printf(out, "</b>: %.2f%% validation, %.2f%% test, %lld bytes (%.2f×), %.1f µs%s.<br><code>", l->accuracy,
                     l->test_accuracy, (long long)l->bytes, explore_size_ratio(r, r->chosen), l->latency_us,
                     l->latency_estimated ? " (estimated)" : "");
    esc(out, l->pipeline);
    coopt_buf_puts(out, "</code></p>\n");
  } else {
    coopt_buf_puts(out, "<p id=\"chosen\">Nothing chosen: ");
    esc(out, r->why);
    coopt_buf_puts(out, ".</p>\n");
  }
}

/* The density plots follow the chosen leaf's chain (or the most accurate
 * leaf's when none is chosen) from the float model down. */
static void html_density(const explore_results *r, coopt_buf *out) {
  int focus = r->chosen;
  for (int i = 0; i < r->count && focus < 0; ++i)
    if (r->leaves[i].level >= 0 && r->leaves[i].evaluated)
      focus = i;
  int chain[16], n = 0;
  for (int i = focus; i >= 0 && n < 16;) {
    chain[n++] = i;
    int p = -1;
    for (int k = 0; k < r->count; ++k)
      if (r->leaves[i].parent[0] ? !strcmp(r->leaves[k].name, r->leaves[i].parent)
                                 : (r->leaves[i].level >= 0 && k == r->baseline))
        p = k;
    i = p;
  }
  coopt_buf_puts(out, "<h2>Weight density of one layer through the stages</h2>\n<div id=\"density\">\n");
  if (n && r->leaves[chain[0]].has_density) {
    coopt_buf_puts(out, "<p>Layer <code>");
    esc(out, r->leaves[chain[0]].density.layer);
    coopt_buf_puts(out, "</code> (the largest convolution or matmul), each stage's weights as stored: float values, "
                        "then int8 codes after quantization.</p>\n");
  }
  for (int k = n - 1; k >= 0; --k)
    if (r->leaves[chain[k]].has_density) {
      char cap[160];
      snprintf(cap, sizeof cap, "%s%s", r->leaves[chain[k]].name, r->leaves[chain[k]].quantized ? " (int8)" : "");
      svg_density(&r->leaves[chain[k]], cap, out);
    }
  coopt_buf_puts(out, "</div>\n");
}

/* One row a leaf: its accuracies, size, latency and the targets it meets
 * (or why not). */
static void html_results(const explore_options *o, const explore_results *r, coopt_buf *out) {
  coopt_buf_puts(out, "<h2>Results</h2>\n<table id=\"results\">\n<tr><th>level</th><th>leaf</th><th>FP32 / fake-INT8 "
                      "(val)</th><th>INT8 (val)</th><th>test</th><th>bytes</th><th>×</th><th>latency µs</th>"
                      "<th>compile s</th><th>targets</th></tr>\n");
  char why[256];
  for (int i = 0; i < r->count; ++i) {
    const explore_leaf *l = &r->leaves[i];
    coopt_buf_printf(out, "<tr%s><td>%d</td><td>", i == r->chosen ? " class=\"chosen\"" : "", l->level);
    esc(out, l->name);
    coopt_buf_puts(out, "</td>");
    if (!l->evaluated) {
      coopt_buf_puts(out, "<td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>–</td><td>");
      esc(out, l->error ? l->error : "not evaluated");
      coopt_buf_puts(out, "</td></tr>\n");
      continue;
    }
    char a[32], b[32], c[32];
    fmt_pct(a, sizeof a, l->quantized ? l->fake_accuracy : l->accuracy);
    fmt_pct(b, sizeof b, l->quantized ? l->accuracy : NAN);
    fmt_pct(c, sizeof c, l->test_accuracy);
    explore_leaf_meets(o, r, i, why, sizeof why);
    coopt_buf_printf(out, "<td>%s</td><td>%s</td><td>%s</td><td>%lld</td><td>%.2f</td><td>%.1f%s</td><td>%.1f</td><td>",
                     a, b, c, (long long)l->bytes, explore_size_ratio(r, i), l->latency_us,
                     l->latency_estimated ? " est." : "", l->compile_s);
    esc(out, l->level < 0 ? "baseline" : r->meets[i] ? "met" : why);
    coopt_buf_puts(out, "</td></tr>\n");
  }
  coopt_buf_puts(out, "</table>\n");
}

void explore_write_html(const explore_options *o, const explore_results *r, coopt_buf *out) {
  html_summary(o, r, out);
  coopt_buf_puts(out, "<h2>Deployment tree</h2>\n");
  svg_tree(o, r, out);
  html_density(r, out);
  coopt_buf_puts(out, "<h2>Accuracy against size</h2>\n");
  svg_scatter(r, false, out);
  coopt_buf_puts(out, "<h2>Accuracy against latency</h2>\n");
  svg_scatter(r, true, out);
  html_results(o, r, out);
  coopt_buf_puts(out, "</body>\n</html>\n");
}
