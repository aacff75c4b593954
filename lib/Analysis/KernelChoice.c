#include "Analysis/KernelChoice.h"
#include "Support/Support.h"

#include "coopt_rt/kernels.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[COOPT_KERNEL_KINDS] = {"dense int8",
                                                           "sparse int8 1x4",
                                                           "lookup-table int8 (4-bit)",
                                                           "sparse lookup-table int8 (1x4, 4-bit)",
                                                           "masked sparse int8",
                                                           "masked sparse lookup-table int8 (4-bit)"};

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
  v->admitted[COOPT_KERNEL_DENSE] = v->admitted[COOPT_KERNEL_SPARSE] = true;
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
  coopt_kernel_policy p = {COOPT_KERNEL_BALANCED, COOPT_KERNEL_SPARSE_THRESHOLD, true, false, COOPT_KERNEL_DENSE};
  return p;
}

/* The 1x4 sparse kernel is the only one that skips work, so latency takes
 * it or dense; the lookup-table and masked forms save bytes at the price of
 * decoding them. */
coopt_kernel_kind cooptChooseKernel(const coopt_kernel_policy *p, const coopt_int8_weights *v) {
  if (p->forced)
    return v->admitted[p->force] ? p->force : COOPT_KERNEL_DENSE;
  coopt_kernel_kind fast = v->zero_block_fraction >= p->sparse_threshold ? COOPT_KERNEL_SPARSE : COOPT_KERNEL_DENSE;
  if (p->objective == COOPT_KERNEL_LATENCY || (p->objective == COOPT_KERNEL_BALANCED && fast == COOPT_KERNEL_SPARSE))
    return fast;
  /* size: every form; balanced: the vectorised ones (the 1x4 lookup-table
   * kernel is generic C), lookup tables only if allowed. */
  coopt_kernel_kind best = COOPT_KERNEL_DENSE;
  for (int k = COOPT_KERNEL_DENSE + 1; k < COOPT_KERNEL_KINDS; ++k) {
    bool lut = k == COOPT_KERNEL_LUT || k == COOPT_KERNEL_SPARSE_LUT || k == COOPT_KERNEL_MASKED_LUT;
    bool sparse_1x4 = k == COOPT_KERNEL_SPARSE || k == COOPT_KERNEL_SPARSE_LUT;
    if (!v->admitted[k] || (p->objective == COOPT_KERNEL_BALANCED && (sparse_1x4 || (lut && !p->lut))))
      continue;
    if (v->sizes[k] < v->sizes[best])
      best = (coopt_kernel_kind)k;
  }
  return best;
}
