/*
 * The measured half of coopt-lower-kernels' latency cost model (a
 * benchmark, not a test).  Every int8 GEMM form of the runtime, at the
 * runtime's current level (COOPT_RT_ISA caps it; bench/kernel-costs.sh runs
 * each level), is timed on five weight shapes at M = 1, 2 (the 1-row tiles)
 * and M = 16, 64 (the row tiles), and fitted per regime to the model of
 * lib/Analysis/KernelCost.h:
 *
 *   t = call + N*K * weight + M*N * output + kept * M*N*K * mac      (ns)
 *
 * call: fixed per call; weight: per stored weight position, paid once per
 * call (the masked forms' decode, the dense kernels' per-call pass over
 * the weights); output: per output value (the requantizing epilogue);
 * mac: per multiply-accumulate done (kept: the fraction of them the form
 * does; the 1x4 sparse forms skip their zero blocks).  The fit minimises
 * the relative error; a coefficient the data drives negative is dropped.
 * Prints the C initialiser of lib/Analysis/KernelCost.c's table for this
 * level, with the fit's largest relative error per form.
 *
 * usage: kernel-costs [repeats]
 */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"
#include "coopt_rt/kernels.h"
#include "coopt_rt/quant.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int repeats = 15;

typedef void (*gemm_fn)(const void *, size_t, const int8_t *, size_t, int8_t *, size_t);

/* Median ns per call; each sample repeats the call for >= 0.5 ms. */
static double measure(gemm_fn fn, const void *blob, size_t m, size_t n, size_t k, const int8_t *a, int8_t *c) {
  int inner = 1;
  for (;;) {
    double t0 = now();
    for (int i = 0; i < inner; ++i)
      fn(blob, m, a, k, c, n);
    if (now() - t0 > 5e-4 || inner > (1 << 22))
      break;
    inner *= 2;
  }
  double s[101];
  int r = repeats < 101 ? repeats : 101;
  for (int i = 0; i < r; ++i) {
    double t0 = now();
    for (int j = 0; j < inner; ++j)
      fn(blob, m, a, k, c, n);
    s[i] = (now() - t0) / inner * 1e9;
  }
  for (int i = 1; i < r; ++i)
    for (int j = i; j > 0 && s[j] < s[j - 1]; --j) {
      double t = s[j];
      s[j] = s[j - 1], s[j - 1] = t;
    }
  return s[r / 2];
}

static void packed(coopt_rt_status st, const coopt_rt_error *err) {
  if (st != COOPT_RT_OK) {
    fprintf(stderr, "kernel-costs: pack: %s\n", err->message);
    exit(1);
  }
}

enum { FORMS = 7, SHAPES = 5, MS = 2, PARAMS = 4 };
static const char *const form_names[FORMS] = {"dense",  "sparse 1x4",          "lookup-table",    "sparse lookup-table",
                                              "masked", "masked lookup-table", "block-sparse 8x4"};
static const size_t shapes[SHAPES][2] = {{64, 64}, {256, 256}, {512, 512}, {64, 512}, {512, 64}}; /* N, K */
static const size_t small_m[MS] = {1, 2}, large_m[MS] = {16, 64};

/* One form's blob for n x k weights: 16 values per channel (so every form
 * admits them); the 1x4 forms with 75% of their blocks zero, the masked
 * forms with 50% of their weights zero, the block-sparse form with a
 * fraction of its 8x4 blocks zero that differs from shape to shape
 * (block_keep), so that the fit can tell its per-MAC cost from its
 * per-output one.  *kept: the fraction of the MACs the kernel does. */
static const double block_keep[SHAPES] = {1.0, 0.5, 0.25, 0.75, 0.5};

static void *pack_form(int form, size_t shape, size_t n, size_t k, double *kept) {
  int8_t *w = malloc(n * k), *book = malloc(16 * n);
  uint8_t *idx = malloc(n * k);
  for (size_t ch = 0; ch < n; ++ch)
    for (int e = 0; e < 16; ++e)
      book[16 * ch + e] = (int8_t)(e == 0 ? 0 : e * 15 - 120 + (e >= 8));
  size_t blocks = 0, kept_blocks = 0;
  for (size_t i = 0; i < n * k; i += 4) {
    bool keep = form == 1 || form == 3 ? rnd() % 4 == 0 : true;
    ++blocks, kept_blocks += keep;
    for (size_t t = i; t < i + 4 && t < n * k; ++t) {
      bool z = !keep || ((form == 4 || form == 5) && rnd() % 2 == 0);
      idx[t] = z ? 0 : (uint8_t)(1 + rnd() % 15);
      w[t] = book[16 * (t / k) + idx[t]];
    }
  }
  *kept = form == 1 || form == 3 ? (double)kept_blocks / (double)blocks : 1.0;
  if (form == 6) {
    size_t groups = (k + 3) / 4, kept_groups = 0;
    for (size_t p = 0; p < n / 8; ++p)
      for (size_t g = 0; g < groups; ++g) {
        bool keep = (double)(rnd() % 1000) < 1000.0 * block_keep[shape];
        kept_groups += keep;
        for (size_t ch = 8 * p; !keep && ch < 8 * p + 8; ++ch)
          memset(w + ch * k + 4 * g, 0, 4 * g + 4 <= k ? 4 : k - 4 * g);
      }
    *kept = (double)kept_groups / (double)(n / 8 * groups);
  }
  int32_t mult, shift;
  coopt_quantize_multiplier(1.0 / ((double)k * 30.0), &mult, &shift);
  /* One requantization for every channel (packing reads N of each). */
  int32_t *mults = malloc(n * sizeof *mults), *shifts = malloc(n * sizeof *shifts);
  for (size_t ch = 0; ch < n; ++ch)
    mults[ch] = mult, shifts[ch] = shift;
  coopt_rt_requant rq = {mults, shifts, true, false, 0, -128, 127};
  coopt_rt_error err;
  size_t s = 0;
  void *blob = NULL;
  switch (form) {
  case 0:
    blob = aligned(s = coopt_rt_qs8_gemm_packed_size(n, k));
    packed(coopt_rt_pack_qs8_gemm(n, k, w, NULL, 3, &rq, blob, s, &err), &err);
    break;
  case 1:
    blob = aligned(s = coopt_rt_qs8_spgemm_packed_size(n, k, w));
    packed(coopt_rt_pack_qs8_spgemm(n, k, w, NULL, 3, &rq, blob, s, &err), &err);
    break;
  case 2:
    blob = aligned(s = coopt_rt_qs8_lut4_gemm_packed_size(n, k));
    packed(coopt_rt_pack_qs8_lut4_gemm(n, k, idx, book, 16, NULL, 3, &rq, blob, s, &err), &err);
    break;
  case 3:
    blob = aligned(s = coopt_rt_qs8_splut4_gemm_packed_size(n, k, idx, book));
    packed(coopt_rt_pack_qs8_splut4_gemm(n, k, idx, book, 16, NULL, 3, &rq, blob, s, &err), &err);
    break;
  case 4:
    blob = aligned(s = coopt_rt_qs8_masked_gemm_packed_size(n, k, w));
    packed(coopt_rt_pack_qs8_masked_gemm(n, k, w, NULL, 3, &rq, blob, s, &err), &err);
    break;
  case 5:
    blob = aligned(s = coopt_rt_qs8_masked_lut4_gemm_packed_size(n, k, idx, book));
    packed(coopt_rt_pack_qs8_masked_lut4_gemm(n, k, idx, book, 16, NULL, 3, &rq, blob, s, &err), &err);
    break;
  default:
    blob = aligned(s = coopt_rt_qs8_bsgemm_packed_size(n, k, w));
    packed(coopt_rt_pack_qs8_bsgemm(n, k, w, NULL, 3, &rq, blob, s, &err), &err);
  }
  free(w), free(book), free(idx), free(mults), free(shifts);
  return blob;
}

static const gemm_fn form_fn[FORMS] = {coopt_rt_qs8_gemm,        coopt_rt_qs8_spgemm,      coopt_rt_qs8_lut4_gemm,
                                       coopt_rt_qs8_splut4_gemm, coopt_rt_qs8_masked_gemm, coopt_rt_qs8_masked_gemm,
                                       coopt_rt_qs8_bsgemm};

/* Least squares of rows x[i] . p ~ t[i], each row weighted by 1 / t[i],
 * over the coefficients `use` allows (the others 0).  Gaussian elimination
 * on the normal equations: 4 unknowns. */
static void fit(const double x[][PARAMS], const double *t, int rows, const bool *use, double *p) {
  double a[PARAMS][PARAMS + 1] = {{0}};
  for (int i = 0; i < rows; ++i)
    for (int r = 0; r < PARAMS; ++r) {
      for (int c = 0; c < PARAMS; ++c)
        a[r][c] += x[i][r] * x[i][c] / (t[i] * t[i]);
      a[r][PARAMS] += x[i][r] / t[i];
    }
  for (int r = 0; r < PARAMS; ++r)
    if (!use[r]) {
      memset(a[r], 0, sizeof a[r]);
      a[r][r] = 1;
      for (int c = 0; c < PARAMS; ++c)
        if (c != r)
          a[c][r] = 0;
    }
  for (int c = 0; c < PARAMS; ++c) {
    int piv = c;
    for (int r = c + 1; r < PARAMS; ++r)
      if (fabs(a[r][c]) > fabs(a[piv][c]))
        piv = r;
    for (int j = 0; j <= PARAMS; ++j) {
      double s = a[c][j];
      a[c][j] = a[piv][j], a[piv][j] = s;
    }
    for (int r = 0; r < PARAMS; ++r)
      if (r != c && a[c][c] != 0) {
        double f = a[r][c] / a[c][c];
        for (int j = c; j <= PARAMS; ++j)
          a[r][j] -= f * a[c][j];
      }
  }
  for (int r = 0; r < PARAMS; ++r)
    p[r] = use[r] && a[r][r] != 0 ? a[r][PARAMS] / a[r][r] : 0;
}

/* Fit, then drop the coefficients that came out negative and refit. */
static double fit_regime(const double x[][PARAMS], const double *t, int rows, double *p) {
  bool use[PARAMS] = {true, true, true, true};
  for (int round = 0; round < PARAMS; ++round) {
    fit(x, t, rows, use, p);
    bool again = false;
    for (int r = 0; r < PARAMS; ++r)
      if (use[r] && p[r] < 0)
        use[r] = false, again = true;
    if (!again)
      break;
  }
  double worst = 0;
  for (int i = 0; i < rows; ++i) {
    double pred = 0;
    for (int r = 0; r < PARAMS; ++r)
      pred += x[i][r] * p[r];
    worst = fmax(worst, fabs(pred - t[i]) / t[i]);
  }
  return worst;
}

int main(int argc, char **argv) {
  if (argc > 1)
    repeats = atoi(argv[1]) > 2 ? atoi(argv[1]) : 3;
  int8_t *a = aligned(64 * 512), *c = aligned(64 * 512);
  for (size_t i = 0; i < 64 * 512; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  printf(
      "    /* %s: {call, weight, output, mac} ns for M < 4, then for M >= 4 (bench/kernel-costs.sh, median of %d) */\n",
      coopt_rt_isa(), repeats);
  for (int f = 0; f < FORMS; ++f) {
    double xs[SHAPES * MS][PARAMS], ts[SHAPES * MS], xl[SHAPES * MS][PARAMS], tl[SHAPES * MS][PARAMS];
    double tlv[SHAPES * MS];
    (void)tl;
    for (int s = 0; s < SHAPES; ++s) {
      size_t n = shapes[s][0], k = shapes[s][1];
      double kept;
      void *blob = pack_form(f, (size_t)s, n, k, &kept);
      for (int i = 0; i < MS; ++i) {
        for (int reg = 0; reg < 2; ++reg) {
          size_t m = reg ? large_m[i] : small_m[i];
          double *x = reg ? xl[s * MS + i] : xs[s * MS + i];
          x[0] = 1, x[1] = (double)(n * k), x[2] = (double)(m * n), x[3] = kept * (double)(m * n * k);
          (reg ? tlv : ts)[s * MS + i] = measure(form_fn[f], blob, m, n, k, a, c);
        }
      }
      free(blob);
    }
    double ps[PARAMS], pl[PARAMS];
    double es = fit_regime((const double (*)[PARAMS])xs, ts, SHAPES * MS, ps);
    double el = fit_regime((const double (*)[PARAMS])xl, tlv, SHAPES * MS, pl);
    printf("    {{%.1f, %.6f, %.5f, %.6f}, {%.1f, %.6f, %.5f, %.6f}}, /* %s; fit within %.0f%% / %.0f%% */\n", ps[0],
           ps[1], ps[2], ps[3], pl[0], pl[1], pl[2], pl[3], form_names[f], 100 * es, 100 * el);
  }
  free(a), free(c);
  return 0;
}
