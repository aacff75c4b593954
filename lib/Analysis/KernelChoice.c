#include "Analysis/KernelChoice.h"
#include "Support/Support.h"

#include "coopt_rt/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[COOPT_KERNEL_KINDS] = {"dense int8",
                                                           "sparse int8 1x4",
                                                           "lookup-table int8 (4-bit)",
                                                           "sparse lookup-table int8 (1x4, 4-bit)",
                                                           "masked sparse int8",
                                                           "masked sparse lookup-table int8 (4-bit)",
                                                           "block-sparse int8 8x4"};

const char *cooptKernelKindName(coopt_kernel_kind kind) { return kind < COOPT_KERNEL_KINDS ? kind_names[kind] : "?"; }

/* Per channel: how many of its 1x4 blocks are all zero, and how many
 * distinct values it has. */
static void measure(const int8_t *w, size_t n, size_t k, coopt_int8_weights *v) {
  size_t blocks = 0, zero_blocks = 0;
  for (size_t c = 0; c < n; ++c) {
    for (size_t i = 0; i < k; i += 4) {
      bool z = true;
      for (size_t t = i; t < i + 4 && t < k; ++t)
        z &= w[c * k + t] == 0;
      ++blocks, zero_blocks += z;
    }
    bool seen[256] = {false};
    size_t d = 0;
    for (size_t i = 0; i < k; ++i)
      if (!seen[(uint8_t)w[c * k + i]])
        seen[(uint8_t)w[c * k + i]] = true, ++d;
    v->max_distinct = d > v->max_distinct ? d : v->max_distinct;
  }
  v->zero_block_fraction = blocks ? (double)zero_blocks / (double)blocks : 0;
  /* The 8x4 blocks the block-sparse kernel skips: a panel's 8 channels
   * (the dense tile's) by a K group of 4. */
  size_t blocks8 = 0, zero_blocks8 = 0;
  for (size_t p = 0; p < n; p += COOPT_QS8_NR)
    for (size_t i = 0; i < k; i += COOPT_QS8_KR) {
      bool z = true;
      for (size_t c = p; c < n && c < p + COOPT_QS8_NR; ++c)
        for (size_t t = i; t < i + COOPT_QS8_KR && t < k; ++t)
          z &= w[c * k + t] == 0;
      ++blocks8, zero_blocks8 += z;
    }
  v->zero_block8_fraction = blocks8 ? (double)zero_blocks8 / (double)blocks8 : 0;
}

/* The codebook view: each channel's values in order of first appearance,
 * and every weight as its index there. */
static void build_codebooks(const int8_t *w, size_t n, size_t k, coopt_int8_weights *v) {
  v->idx = coopt_xmalloc(n * k);
  v->book = coopt_xcalloc(16 * n, 1);
  for (size_t c = 0; c < n; ++c) {
    size_t used = 0;
    for (size_t i = 0; i < k; ++i) {
      size_t e = 0;
      while (e < used && v->book[16 * c + e] != w[c * k + i])
        ++e;
      if (e == used)
        v->book[16 * c + used++] = w[c * k + i];
      v->idx[c * k + i] = (uint8_t)e;
    }
  }
}

void cooptAnalyzeInt8Weights(const int8_t *w, size_t n, size_t k, coopt_int8_weights *v) {
  memset(v, 0, sizeof *v);
  v->n = n, v->k = k;
  measure(w, n, k, v);
  if (v->max_distinct <= 16)
    build_codebooks(w, n, k, v);
  v->sizes[COOPT_KERNEL_DENSE] = coopt_rt_qs8_gemm_packed_size(n, k);
  v->sizes[COOPT_KERNEL_SPARSE] = coopt_rt_qs8_spgemm_packed_size(n, k, w);
  v->sizes[COOPT_KERNEL_BLOCK] = coopt_rt_qs8_bsgemm_packed_size(n, k, w);
  v->admitted[COOPT_KERNEL_DENSE] = v->admitted[COOPT_KERNEL_SPARSE] = v->admitted[COOPT_KERNEL_BLOCK] = true;
  if (v->idx) {
    v->sizes[COOPT_KERNEL_LUT] = coopt_rt_qs8_lut4_gemm_packed_size(n, k);
    v->sizes[COOPT_KERNEL_SPARSE_LUT] = coopt_rt_qs8_splut4_gemm_packed_size(n, k, v->idx, v->book);
    v->admitted[COOPT_KERNEL_LUT] = v->admitted[COOPT_KERNEL_SPARSE_LUT] = true;
  }
  if (k <= COOPT_RT_MASKED_MAX_K) {
    v->sizes[COOPT_KERNEL_MASKED] = coopt_rt_qs8_masked_gemm_packed_size(n, k, w);
    v->admitted[COOPT_KERNEL_MASKED] = true;
    if (v->idx) {
      v->sizes[COOPT_KERNEL_MASKED_LUT] = coopt_rt_qs8_masked_lut4_gemm_packed_size(n, k, v->idx, v->book);
      v->admitted[COOPT_KERNEL_MASKED_LUT] = true;
    }
  }
}

void cooptInt8WeightsFree(coopt_int8_weights *v) {
  free(v->idx);
  free(v->book);
  v->idx = NULL, v->book = NULL;
}

coopt_kernel_policy cooptDefaultKernelPolicy(void) {
  coopt_kernel_policy p = {COOPT_KERNEL_BALANCED, COOPT_KERNEL_SPARSE_THRESHOLD, true, false,
                           COOPT_KERNEL_DENSE,    COOPT_CPU_X86_AVX512};
  return p;
}

double cooptPredictKernel(coopt_cost_cpu cpu, const coopt_int8_weights *v, coopt_kernel_kind kind, size_t m) {
  return cooptKernelCost(cpu, kind, m, v->n, v->k, cooptKernelKept(v, kind), v->sizes[kind]);
}

double cooptKernelKept(const coopt_int8_weights *v, coopt_kernel_kind kind) {
  switch (kind) {
  case COOPT_KERNEL_SPARSE:
  case COOPT_KERNEL_SPARSE_LUT: return 1 - v->zero_block_fraction;
  case COOPT_KERNEL_BLOCK: return 1 - v->zero_block8_fraction;
  default: return 1;
  }
}

static bool is_lut(int k) {
  return k == COOPT_KERNEL_LUT || k == COOPT_KERNEL_SPARSE_LUT || k == COOPT_KERNEL_MASKED_LUT;
}

/* The forms latency and balanced consider for a layer (lut=off leaves
 * the lookup-table ones out). */
static bool candidate(const coopt_kernel_policy *p, const coopt_int8_weights *v, int k) {
  return v->admitted[k] && (p->lut || !is_lut(k)) &&
         (k != COOPT_KERNEL_BLOCK || v->zero_block8_fraction >= COOPT_KERNEL_BLOCK_MIN_ZERO);
}

/* A layer's predictions, and the form each objective starts from: the
 * forced one, sparse past sparse-threshold, the smallest (size), or the
 * fastest (latency, and where balanced starts). */
static coopt_kernel_kind first_choice(const coopt_kernel_policy *p, const coopt_int8_weights *v, size_t m, double *c) {
  for (int k = 0; k < COOPT_KERNEL_KINDS; ++k)
    c[k] = v->admitted[k] ? cooptPredictKernel(p->cpu, v, (coopt_kernel_kind)k, m) : INFINITY;
  if (p->forced)
    return v->admitted[p->force] ? p->force : COOPT_KERNEL_DENSE;
  if (p->objective != COOPT_KERNEL_SIZE && v->zero_block_fraction >= p->sparse_threshold)
    return COOPT_KERNEL_SPARSE;
  coopt_kernel_kind best = COOPT_KERNEL_DENSE;
  for (int k = 1; k < COOPT_KERNEL_KINDS; ++k) {
    if (p->objective == COOPT_KERNEL_SIZE ? !v->admitted[k] || v->sizes[k] >= v->sizes[best]
                                          : !candidate(p, v, k) || c[k] >= c[best])
      continue;
    best = (coopt_kernel_kind)k;
  }
  return best;
}

/* size: the smallest form; latency: the one predicted fastest; balanced:
 * from the fastest forms, layers move to smaller ones while the predicted
 * time of all of them stays within COOPT_KERNEL_BALANCED_SLACK of the
 * fastest total, best bytes saved per predicted ns first, a move that
 * costs time only when it saves COOPT_KERNEL_BALANCED_MIN_SAVING of the
 * layer's bytes (a greedy knapsack: a decode paid once per call is bought
 * where the call's rows amortise it, and a layer that is a small share of
 * the time can take a form that is slower by more than the slack on its
 * own).  For one layer
 * that is the smallest form within the slack of its fastest.  Ties go to
 * the earlier layer and kind, so the choice is deterministic. */
void cooptChooseKernels(const coopt_kernel_policy *p, size_t n, const coopt_int8_weights *const *v, const size_t *m,
                        coopt_kernel_kind *kinds, double *costs) {
  double (*c)[COOPT_KERNEL_KINDS] = coopt_xmalloc((n ? n : 1) * sizeof *c);
  double total = 0;
  bool fixed = p->forced || p->objective != COOPT_KERNEL_BALANCED;
  bool *frozen = coopt_xcalloc(n ? n : 1, sizeof *frozen);
  for (size_t i = 0; i < n; ++i) {
    kinds[i] = first_choice(p, v[i], m[i], c[i]);
    frozen[i] = fixed || (kinds[i] == COOPT_KERNEL_SPARSE && v[i]->zero_block_fraction >= p->sparse_threshold);
    total += c[i][kinds[i]];
  }
  const double budget = total * (1 + COOPT_KERNEL_BALANCED_SLACK);
  for (;;) {
    size_t bi = 0;
    int bk = -1;
    double best = -1, best_db = 0;
    for (size_t i = 0; i < n; ++i) {
      if (frozen[i])
        continue;
      for (int k = 0; k < COOPT_KERNEL_KINDS; ++k) {
        if (!candidate(p, v[i], k) || v[i]->sizes[k] >= v[i]->sizes[kinds[i]])
          continue;
        double dc = c[i][k] - c[i][kinds[i]], db = (double)(v[i]->sizes[kinds[i]] - v[i]->sizes[k]);
        if (total + dc > budget || (dc > 0 && db < COOPT_KERNEL_BALANCED_MIN_SAVING * (double)v[i]->sizes[kinds[i]]))
          continue;
        double score = dc <= 0 ? INFINITY : db / dc;
        if (score > best || (score == best && db > best_db))
          best = score, best_db = db, bi = i, bk = k;
      }
    }
    if (bk < 0)
      break;
    total += c[bi][bk] - c[bi][kinds[bi]];
    kinds[bi] = (coopt_kernel_kind)bk;
  }
  for (size_t i = 0; i < n && costs; ++i)
    costs[i] = c[i][kinds[i]];
  free(c);
  free(frozen);
}

coopt_kernel_kind cooptChooseKernel(const coopt_kernel_policy *p, const coopt_int8_weights *v, size_t m, double *cost) {
  coopt_kernel_kind kind;
  cooptChooseKernels(p, 1, &v, &m, &kind, cost);
  return kind;
}
