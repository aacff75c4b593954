/*
 * Packing: weight matrix (+ structure) -> the kernels' layout.  Called by the
 * compiler at compile time; everything a kernel needs besides activations
 * goes into the blob.  Every entry point validates its arguments and reports
 * what is wrong instead of crashing.
 */
#include "blob.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

coopt_rt_status coopt_rt_fail(coopt_rt_error *err, coopt_rt_status st, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return st;
}

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

/* Limits keep every offset and accumulator in range: K * 127 * 255 < 2^31. */
#define MAX_DIM (1u << 16)

static coopt_rt_status check_common(size_t n, size_t k, const void *w, void *packed, size_t packed_size, size_t needed,
                                    coopt_rt_error *err) {
  if (n == 0 || k == 0 || n > MAX_DIM || k > MAX_DIM)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "shape %zux%zu: N and K must be in [1, %u]", n, k, MAX_DIM);
  if (!w || !packed)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "weights and output must not be NULL");
  if ((uintptr_t)packed % 16)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "the packed buffer must be 16-byte aligned");
  if (packed_size < needed)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "the packed buffer has %zu bytes, %zu needed", packed_size,
                         needed);
  return COOPT_RT_OK;
}

static coopt_rt_status check_requant(size_t n, const coopt_rt_requant *rq, coopt_rt_error *err) {
  if (!rq || !rq->multiplier || !rq->shift)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "requantization parameters are missing");
  if (rq->output_min > rq->output_max)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "output range [%d, %d] is empty", rq->output_min,
                         rq->output_max);
  if (rq->output_zero_point < -128 || rq->output_zero_point > 127)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "output zero point %d is not int8",
                         (int)rq->output_zero_point);
  for (size_t c = 0; c < (rq->per_channel ? n : 1); ++c)
    if (rq->multiplier[c] < 0 || rq->shift[c] < 2 || rq->shift[c] > 62)
      return coopt_rt_fail(
          err, COOPT_RT_INVALID_ARGUMENT,
          "channel %zu: multiplier %d / shift %d outside TOSA rescale's range (multiplier >= 0, shift 2..62)", c,
          (int)rq->multiplier[c], (int)rq->shift[c]);
  return COOPT_RT_OK;
}

static void write_header(void *packed, int kind, size_t n, size_t k, size_t kp, size_t count, int a_zp,
                         const coopt_rt_requant *rq) {
  coopt_blob *b = packed;
  memset(b, 0, COOPT_BLOB_HEADER);
  b->magic = COOPT_RT_MAGIC;
  b->kind = (uint32_t)kind;
  b->n = (uint32_t)n, b->k = (uint32_t)k, b->kp = (uint32_t)kp, b->count = (uint32_t)count;
  b->a_zero_point = a_zp;
  if (rq) {
    b->out_zero_point = rq->output_zero_point;
    b->out_min = rq->output_min, b->out_max = rq->output_max;
    b->double_round = rq->double_round;
  }
}

static int32_t rq_mult(const coopt_rt_requant *rq, size_t c) { return rq->multiplier[rq->per_channel ? c : 0]; }
static int32_t rq_shift(const coopt_rt_requant *rq, size_t c) { return rq->shift[rq->per_channel ? c : 0]; }

/* bias - a_zp * sum_k w: the zero-point term folded at pack time. */
static int32_t folded_bias(const int8_t *wrow, size_t k, const int32_t *bias, size_t c, int a_zp) {
  int64_t sum = 0;
  for (size_t i = 0; i < k; ++i)
    sum += wrow[i];
  return (int32_t)((bias ? bias[c] : 0) - (int64_t)a_zp * sum);
}

coopt_chan_arrays coopt_chan_layout(int kind, size_t n, size_t kp, size_t count) {
  coopt_chan_arrays L = {0};
  size_t at = COOPT_BLOB_HEADER;
  L.bias = at, at = coopt_align16(at + 4 * n);
  if (kind != COOPT_BLOB_F32_SPMM) {
    L.mult = at, at = coopt_align16(at + 4 * n);
    L.shift = at, at = coopt_align16(at + n); /* 2..62: a byte each */
  }
  /* Only the forms that walk a variable number of blocks per channel. */
  if (kind == COOPT_BLOB_F32_SPMM || kind == COOPT_BLOB_QS8_SPGEMM || kind == COOPT_BLOB_QS8_SPLUT4)
    L.nnz = at, at = coopt_align16(at + 4 * n);
  if (kind == COOPT_BLOB_QS8_LUT4 || kind == COOPT_BLOB_QS8_SPLUT4)
    L.codebook = at, at = coopt_align16(at + 16 * n);
  switch (kind) {
  case COOPT_BLOB_F32_SPMM:
    L.index = at, at = coopt_align16(at + 4 * (count + 1));
    L.values = at, at = coopt_align16(at + 4 * count);
    break;
  case COOPT_BLOB_QS8_SPGEMM:
    L.index = at, at = coopt_align16(at + count);
    L.values = at, at = coopt_align16(at + 4 * count);
    break;
  case COOPT_BLOB_QS8_LUT4: L.values = at, at = coopt_align16(at + n * kp / 2); break;
  case COOPT_BLOB_QS8_SPLUT4:
    L.index = at, at = coopt_align16(at + count);
    L.values = at, at = coopt_align16(at + 2 * count);
    break;
  case COOPT_BLOB_QS8_NM24:
    L.index = at, at = coopt_align16(at + n * kp / 4);
    L.values = at, at = coopt_align16(at + n * kp / 2);
    break;
  }
  L.end = at;
  return L;
}

/* ---- qs8 dense ---- */

/* Panel p's per-channel arrays, the dense panel's and the block-sparse
 * one's: bias' (the zero point folded in), multiplier and shift of its NR
 * channels.  Padding channels compute 0 and are never stored; shift 2
 * keeps apply_scale well-defined for them. */
static void write_panel_arrays(int32_t *pb, int32_t *pm, int32_t *ps, size_t p, size_t n, size_t k, const int8_t *w,
                               const int32_t *bias, int a_zp, const coopt_rt_requant *rq) {
  for (size_t j = 0; j < COOPT_QS8_NR; ++j) {
    const size_t c = p * COOPT_QS8_NR + j;
    ps[j] = 2;
    if (c < n)
      pb[j] = folded_bias(w + c * k, k, bias, c, a_zp), pm[j] = rq_mult(rq, c), ps[j] = rq_shift(rq, c);
  }
}

size_t coopt_rt_qs8_gemm_packed_size(size_t n, size_t k) {
  size_t kp = round_up(k, COOPT_QS8_KR);
  return COOPT_BLOB_HEADER + round_up(n, COOPT_QS8_NR) / COOPT_QS8_NR * coopt_qs8_panel_bytes(kp);
}

coopt_rt_status coopt_rt_pack_qs8_gemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zp,
                                       const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                       coopt_rt_error *err) {
  coopt_rt_status st = check_common(n, k, w, packed, packed_size, coopt_rt_qs8_gemm_packed_size(n, k), err);
  if (st || (st = check_requant(n, rq, err)))
    return st;
  size_t kp = round_up(k, COOPT_QS8_KR), panels = round_up(n, COOPT_QS8_NR) / COOPT_QS8_NR;
  write_header(packed, COOPT_BLOB_QS8_GEMM, n, k, kp, 0, a_zp, rq);
  for (size_t p = 0; p < panels; ++p) {
    char *panel = (char *)packed + COOPT_BLOB_HEADER + p * coopt_qs8_panel_bytes(kp);
    int32_t *pb = (int32_t *)panel, *pm = pb + COOPT_QS8_NR, *ps = pm + COOPT_QS8_NR;
    int8_t *pw = (int8_t *)(ps + COOPT_QS8_NR);
    memset(panel, 0, coopt_qs8_panel_bytes(kp));
    write_panel_arrays(pb, pm, ps, p, n, k, w, bias, a_zp, rq);
    for (size_t c = p * COOPT_QS8_NR; c < n && c < (p + 1) * COOPT_QS8_NR; ++c)
      for (size_t i = 0; i < k; ++i)
        pw[(i / COOPT_QS8_KR) * COOPT_QS8_NR * COOPT_QS8_KR + (c % COOPT_QS8_NR) * COOPT_QS8_KR + i % COOPT_QS8_KR] =
            w[c * k + i];
  }
  return COOPT_RT_OK;
}

/* ---- qs8 block-sparse (NR x 4 blocks, the dense tile's K groups) ---- */

/* Whether K group g of panel p has a nonzero weight. */
static bool bs_group_nonzero(size_t n, size_t k, const int8_t *w, size_t p, size_t g) {
  for (size_t j = p * COOPT_QS8_NR; j < n && j < (p + 1) * COOPT_QS8_NR; ++j)
    for (size_t i = g * COOPT_QS8_KR; i < k && i < (g + 1) * COOPT_QS8_KR; ++i)
      if (w[j * k + i])
        return true;
  return false;
}

/* Panel p's stored blocks: its nonzero groups and the fillers their deltas
 * need. */
static size_t bs_panel_blocks(size_t n, size_t k, const int8_t *w, size_t p) {
  size_t nb = 0, prev = 0;
  for (size_t g = 0; g * COOPT_QS8_KR < k; ++g)
    if (bs_group_nonzero(n, k, w, p, g))
      nb += 1 + coopt_sparse_fillers(prev, g), prev = g;
  return nb;
}

static size_t bs_panel_bytes(size_t nb) { return coopt_align16(3 * 4 * COOPT_QS8_NR + nb * (COOPT_QS8_NR * 4 + 1)); }

size_t coopt_rt_qs8_bsgemm_packed_size(size_t n, size_t k, const int8_t *w) {
  if (!w || n == 0 || k == 0 || n > MAX_DIM || k > MAX_DIM)
    return 0;
  const size_t panels = round_up(n, COOPT_QS8_NR) / COOPT_QS8_NR;
  size_t size = COOPT_BLOB_HEADER + coopt_bs_table_bytes(panels);
  for (size_t p = 0; p < panels; ++p)
    size += bs_panel_bytes(bs_panel_blocks(n, k, w, p));
  return size;
}

coopt_rt_status coopt_rt_pack_qs8_bsgemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zp,
                                         const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                         coopt_rt_error *err) {
  const size_t needed = coopt_rt_qs8_bsgemm_packed_size(n, k, w);
  coopt_rt_status st = check_common(n, k, w, packed, packed_size, needed, err);
  if (st || (st = check_requant(n, rq, err)))
    return st;
  if (needed > UINT32_MAX) /* the panel offsets are 32-bit */
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "shape %zux%zu: the block-sparse blob would exceed 4 GiB", n,
                         k);
  const size_t kp = round_up(k, COOPT_QS8_KR), panels = round_up(n, COOPT_QS8_NR) / COOPT_QS8_NR;
  uint32_t *off = (uint32_t *)((char *)packed + COOPT_BLOB_HEADER), *nbs = off + panels + 1;
  size_t at = COOPT_BLOB_HEADER + coopt_bs_table_bytes(panels), count = 0;
  memset(off, 0, coopt_bs_table_bytes(panels));
  for (size_t p = 0; p < panels; ++p) {
    const size_t nb = bs_panel_blocks(n, k, w, p);
    char *panel = (char *)packed + at;
    memset(panel, 0, bs_panel_bytes(nb));
    off[p] = (uint32_t)at, nbs[p] = (uint32_t)nb, count += nb;
    int32_t *pb = (int32_t *)panel, *pm = pb + COOPT_QS8_NR, *ps = pm + COOPT_QS8_NR;
    int8_t *blocks = (int8_t *)(ps + COOPT_QS8_NR);
    uint8_t *delta = (uint8_t *)(blocks + nb * COOPT_QS8_NR * COOPT_QS8_KR);
    write_panel_arrays(pb, pm, ps, p, n, k, w, bias, a_zp, rq);
    size_t b = 0, prev = 0;
    for (size_t g = 0; g * COOPT_QS8_KR < k; ++g) {
      if (!bs_group_nonzero(n, k, w, p, g))
        continue;
      for (size_t f = coopt_sparse_fillers(prev, g); f > 0; --f)
        delta[b++] = COOPT_SPARSE_MAX_DELTA, prev += COOPT_SPARSE_MAX_DELTA; /* zero filler block */
      delta[b] = (uint8_t)(g - prev), prev = g;
      int8_t *blk = blocks + b++ * COOPT_QS8_NR * COOPT_QS8_KR;
      for (size_t j = 0; j < COOPT_QS8_NR && p * COOPT_QS8_NR + j < n; ++j)
        for (size_t i = g * COOPT_QS8_KR; i < k && i < (g + 1) * COOPT_QS8_KR; ++i)
          blk[j * COOPT_QS8_KR + i % COOPT_QS8_KR] = w[(p * COOPT_QS8_NR + j) * k + i];
    }
    at += bs_panel_bytes(nb);
  }
  off[panels] = (uint32_t)at;
  write_header(packed, COOPT_BLOB_QS8_BSGEMM, n, k, kp, count, a_zp, rq);
  return COOPT_RT_OK;
}

/* ---- f32 dense ---- */

size_t coopt_rt_f32_gemm_packed_size(size_t n, size_t k) {
  return COOPT_BLOB_HEADER + round_up(n, COOPT_F32_NR) / COOPT_F32_NR * coopt_f32_panel_bytes(k);
}

static coopt_rt_status check_range(float lo, float hi, coopt_rt_error *err) {
  if (isnan(lo) || isnan(hi) || lo > hi)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "output range [%g, %g] is empty or NaN", (double)lo,
                         (double)hi);
  return COOPT_RT_OK;
}

coopt_rt_status coopt_rt_pack_f32_gemm(size_t n, size_t k, const float *w, const float *bias, float lo, float hi,
                                       void *packed, size_t packed_size, coopt_rt_error *err) {
  coopt_rt_status st = check_common(n, k, w, packed, packed_size, coopt_rt_f32_gemm_packed_size(n, k), err);
  if (st || (st = check_range(lo, hi, err)))
    return st;
  write_header(packed, COOPT_BLOB_F32_GEMM, n, k, k, 0, 0, NULL);
  coopt_blob *b = packed;
  b->fmin = lo, b->fmax = hi;
  size_t panels = round_up(n, COOPT_F32_NR) / COOPT_F32_NR;
  for (size_t p = 0; p < panels; ++p) {
    float *panel = (float *)((char *)packed + COOPT_BLOB_HEADER + p * coopt_f32_panel_bytes(k));
    memset(panel, 0, coopt_f32_panel_bytes(k));
    for (size_t j = 0; j < COOPT_F32_NR; ++j) {
      size_t c = p * COOPT_F32_NR + j;
      if (c >= n)
        continue;
      panel[j] = bias ? bias[c] : 0.0f;
      for (size_t i = 0; i < k; ++i)
        panel[COOPT_F32_NR * (1 + i) + j] = w[c * k + i];
    }
  }
  return COOPT_RT_OK;
}

/* ---- f32 sparse (SpMM) ---- */

static size_t count_nonzeros_f32(size_t n, size_t k, const float *w) {
  size_t nz = 0;
  for (size_t i = 0; i < n * k; ++i)
    nz += w[i] != 0.0f;
  return nz;
}

size_t coopt_rt_f32_spmm_packed_size(size_t n, size_t k, const float *w) {
  return w ? coopt_chan_layout(COOPT_BLOB_F32_SPMM, n, k, count_nonzeros_f32(n, k, w)).end : 0;
}

coopt_rt_status coopt_rt_pack_f32_spmm(size_t n, size_t k, const float *w, const float *bias, float lo, float hi,
                                       size_t m_stride, void *packed, size_t packed_size, coopt_rt_error *err) {
  coopt_rt_status st = check_common(n, k, w, packed, packed_size, coopt_rt_f32_spmm_packed_size(n, k, w), err);
  if (st || (st = check_range(lo, hi, err)))
    return st;
  if (m_stride == 0 || m_stride > (1u << 24) || k * m_stride * 4 > (size_t)INT32_MAX)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "input row stride %zu is out of range", m_stride);
  for (size_t i = 0; i < n * k; ++i)
    if (!isfinite(w[i]))
      return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "weight %zu is not finite", i);
  size_t count = count_nonzeros_f32(n, k, w);
  write_header(packed, COOPT_BLOB_F32_SPMM, n, k, k, count, 0, NULL);
  coopt_blob *b = packed;
  b->fmin = lo, b->fmax = hi, b->m_stride = (uint32_t)m_stride;
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_F32_SPMM, n, k, count);
  float *pb = (float *)((char *)packed + L.bias), *pv = (float *)((char *)packed + L.values);
  uint32_t *pn = (uint32_t *)((char *)packed + L.nnz);
  int32_t *pd = (int32_t *)((char *)packed + L.index);
  /* pd[0] is the byte offset of the first nonzero's input row; pd[j + 1] the
   * step from nonzero j's row to the next one's, across channel ends (the
   * last one returns to row 0 so the next M tile starts clean). */
  size_t j = 0, prev = 0;
  for (size_t c = 0; c < n; ++c) {
    pb[c] = bias ? bias[c] : 0.0f;
    pn[c] = 0;
    for (size_t i = 0; i < k; ++i) {
      if (w[c * k + i] == 0.0f)
        continue;
      pd[j] = (int32_t)(((int64_t)i - (int64_t)prev) * (int64_t)m_stride * 4);
      pv[j++] = w[c * k + i];
      prev = i;
      pn[c]++;
    }
  }
  pd[j] = (int32_t)(-(int64_t)prev * (int64_t)m_stride * 4);
  return COOPT_RT_OK;
}

/* ---- qs8 sparse 1x4 ---- */

/* Kept blocks plus the fillers their deltas need. */
static size_t count_blocks(size_t n, size_t k, const int8_t *w) {
  size_t blocks = 0;
  for (size_t c = 0; c < n; ++c)
    for (size_t i = 0, prev = 0; i < k; i += 4) {
      bool nz = false;
      for (size_t t = i; t < i + 4 && t < k; ++t)
        nz |= w[c * k + t] != 0;
      if (nz)
        blocks += 1 + coopt_sparse_fillers(prev, i / 4), prev = i / 4;
    }
  return blocks;
}

size_t coopt_rt_qs8_spgemm_packed_size(size_t n, size_t k, const int8_t *w) {
  return w ? coopt_chan_layout(COOPT_BLOB_QS8_SPGEMM, n, round_up(k, 4), count_blocks(n, k, w)).end : 0;
}

static void write_chan_requant(void *packed, const coopt_chan_arrays *L, size_t n, const int8_t *w, size_t k,
                               const int32_t *bias, int a_zp, const coopt_rt_requant *rq) {
  int32_t *pb = (int32_t *)((char *)packed + L->bias), *pm = (int32_t *)((char *)packed + L->mult);
  uint8_t *ps = (uint8_t *)packed + L->shift;
  for (size_t c = 0; c < n; ++c) {
    pb[c] = folded_bias(w + c * k, k, bias, c, a_zp);
    pm[c] = rq_mult(rq, c), ps[c] = (uint8_t)rq_shift(rq, c);
  }
}

coopt_rt_status coopt_rt_pack_qs8_spgemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zp,
                                         const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                         coopt_rt_error *err) {
  coopt_rt_status st = check_common(n, k, w, packed, packed_size, coopt_rt_qs8_spgemm_packed_size(n, k, w), err);
  if (st || (st = check_requant(n, rq, err)))
    return st;
  size_t count = count_blocks(n, k, w), kp = round_up(k, 4);
  write_header(packed, COOPT_BLOB_QS8_SPGEMM, n, k, kp, count, a_zp, rq);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_SPGEMM, n, kp, count);
  write_chan_requant(packed, &L, n, w, k, bias, a_zp, rq);
  uint32_t *pn = (uint32_t *)((char *)packed + L.nnz);
  uint8_t *pd = (uint8_t *)packed + L.index;
  int8_t *pv = (int8_t *)((char *)packed + L.values);
  size_t j = 0;
  for (size_t c = 0; c < n; ++c) {
    pn[c] = 0;
    for (size_t i = 0, prev = 0; i < k; i += 4) {
      int8_t blk[4] = {0, 0, 0, 0};
      bool nz = false;
      for (size_t t = i; t < i + 4 && t < k; ++t)
        blk[t - i] = w[c * k + t], nz |= w[c * k + t] != 0;
      if (!nz)
        continue;
      for (size_t f = coopt_sparse_fillers(prev, i / 4); f > 0; --f, ++j, pn[c]++) {
        pd[j] = COOPT_SPARSE_MAX_DELTA, prev += COOPT_SPARSE_MAX_DELTA;
        memset(pv + 4 * j, 0, 4);
      }
      pd[j] = (uint8_t)(i / 4 - prev), prev = i / 4;
      memcpy(pv + 4 * j++, blk, 4);
      pn[c]++;
    }
  }
  return COOPT_RT_OK;
}

/* ---- qs8 lookup-table ---- */

coopt_rt_status coopt_rt_check_lut(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook, size_t codebook_size,
                                   coopt_rt_error *err) {
  if (!codebook)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "the codebook must not be NULL");
  if (codebook_size < 1 || codebook_size > 16)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "codebook of %zu entries: 4-bit indices address 1 to 16",
                         codebook_size);
  for (size_t c = 0; c < n; ++c)
    for (size_t i = 0; i < k; ++i)
      if (idx[c * k + i] >= codebook_size)
        return coopt_rt_fail(err, COOPT_RT_INVALID_STRUCTURE,
                             "channel %zu, k %zu: index %u is beyond the %zu-entry codebook", c, i, idx[c * k + i],
                             codebook_size);
  return COOPT_RT_OK;
}

/* The decoded weights, for folding the zero-point term into the bias. */
static void decode_row(const uint8_t *idx, const int8_t *book, size_t k, int8_t *out) {
  for (size_t i = 0; i < k; ++i)
    out[i] = book[idx[i]];
}

size_t coopt_rt_qs8_lut4_gemm_packed_size(size_t n, size_t k) {
  return coopt_chan_layout(COOPT_BLOB_QS8_LUT4, n, round_up(k, COOPT_LUT4_KR), 0).end;
}

/* Folded biases and requantization of the LUT families: decode each row once. */
static void write_lut_requant(void *packed, const coopt_chan_arrays *L, size_t n, size_t k, const uint8_t *idx,
                              const int8_t *codebook, size_t codebook_size, const int32_t *bias, int a_zp,
                              const coopt_rt_requant *rq, int8_t *row) {
  int32_t *pb = (int32_t *)((char *)packed + L->bias), *pm = (int32_t *)((char *)packed + L->mult);
  uint8_t *ps = (uint8_t *)packed + L->shift;
  int8_t *pc = (int8_t *)((char *)packed + L->codebook);
  for (size_t c = 0; c < n; ++c) {
    decode_row(idx + c * k, codebook + 16 * c, k, row);
    pb[c] = folded_bias(row, k, bias, c, a_zp);
    pm[c] = rq_mult(rq, c), ps[c] = (uint8_t)rq_shift(rq, c);
    memset(pc + 16 * c, 0, 16);
    memcpy(pc + 16 * c, codebook + 16 * c, codebook_size);
  }
}

coopt_rt_status coopt_rt_pack_qs8_lut4_gemm(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook,
                                            size_t codebook_size, const int32_t *bias, int8_t a_zp,
                                            const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                            coopt_rt_error *err) {
  coopt_rt_status st = check_common(n, k, idx, packed, packed_size, coopt_rt_qs8_lut4_gemm_packed_size(n, k), err);
  if (st || (st = check_requant(n, rq, err)) || (st = coopt_rt_check_lut(n, k, idx, codebook, codebook_size, err)))
    return st;
  size_t kp = round_up(k, COOPT_LUT4_KR);
  int8_t *row = malloc(k);
  if (!row)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "out of memory");
  write_header(packed, COOPT_BLOB_QS8_LUT4, n, k, kp, 0, a_zp, rq);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_LUT4, n, kp, 0);
  write_lut_requant(packed, &L, n, k, idx, codebook, codebook_size, bias, a_zp, rq, row);
  free(row);
  /* Two indices per byte, low nibble first: byte j of a 16-group holds
   * k = 2j and 2j + 1, so one nibble split yields the even and odd halves
   * that the kernels interleave back. */
  uint8_t *pv = (uint8_t *)((char *)packed + L.values);
  memset(pv, 0, n * kp / 2);
  for (size_t c = 0; c < n; ++c)
    for (size_t i = 0; i < k; ++i)
      pv[c * kp / 2 + i / 2] |= (uint8_t)(idx[c * k + i] << (4 * (i % 2)));
  return COOPT_RT_OK;
}

/* ---- qs8 sparse + lookup-table ---- */

static size_t count_lut_blocks(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook) {
  size_t blocks = 0;
  for (size_t c = 0; c < n; ++c)
    for (size_t i = 0, prev = 0; i < k; i += 4) {
      bool nz = false;
      for (size_t t = i; t < i + 4 && t < k; ++t)
        nz |= idx[c * k + t] < 16 && codebook[16 * c + idx[c * k + t]] != 0;
      if (nz)
        blocks += 1 + coopt_sparse_fillers(prev, i / 4), prev = i / 4;
    }
  return blocks;
}

size_t coopt_rt_qs8_splut4_gemm_packed_size(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook) {
  if (!idx || !codebook)
    return 0;
  return coopt_chan_layout(COOPT_BLOB_QS8_SPLUT4, n, round_up(k, 4), count_lut_blocks(n, k, idx, codebook)).end;
}

coopt_rt_status coopt_rt_pack_qs8_splut4_gemm(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook,
                                              size_t codebook_size, const int32_t *bias, int8_t a_zp,
                                              const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                              coopt_rt_error *err) {
  if (!codebook)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "the codebook must not be NULL");
  coopt_rt_status st =
      check_common(n, k, idx, packed, packed_size, coopt_rt_qs8_splut4_gemm_packed_size(n, k, idx, codebook), err);
  if (st || (st = check_requant(n, rq, err)) || (st = coopt_rt_check_lut(n, k, idx, codebook, codebook_size, err)))
    return st;
  size_t kp = round_up(k, 4), count = count_lut_blocks(n, k, idx, codebook);
  int8_t *row = malloc(k);
  if (!row)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "out of memory");
  write_header(packed, COOPT_BLOB_QS8_SPLUT4, n, k, kp, count, a_zp, rq);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_SPLUT4, n, kp, count);
  write_lut_requant(packed, &L, n, k, idx, codebook, codebook_size, bias, a_zp, rq, row);
  free(row);
  uint32_t *pn = (uint32_t *)((char *)packed + L.nnz);
  uint8_t *pd = (uint8_t *)packed + L.index;
  uint8_t *pv = (uint8_t *)((char *)packed + L.values);
  size_t j = 0;
  for (size_t c = 0; c < n; ++c) {
    pn[c] = 0;
    const int8_t *book = codebook + 16 * c;
    /* A zero weight inside a kept block needs an index whose entry is 0. */
    int zero_index = -1;
    for (size_t e = 0; e < codebook_size && zero_index < 0; ++e)
      if (book[e] == 0)
        zero_index = (int)e;
    for (size_t i = 0, prev = 0; i < k; i += 4) {
      bool nz = false;
      for (size_t t = i; t < i + 4 && t < k; ++t)
        nz |= book[idx[c * k + t]] != 0;
      if (!nz)
        continue;
      /* A gap means zero blocks, so a zero entry exists for the fillers. */
      for (size_t f = coopt_sparse_fillers(prev, i / 4); f > 0; --f, ++j, pn[c]++) {
        pd[j] = COOPT_SPARSE_MAX_DELTA, prev += COOPT_SPARSE_MAX_DELTA;
        pv[2 * j] = pv[2 * j + 1] = (uint8_t)(zero_index | zero_index << 4);
      }
      uint8_t codes[4] = {0, 0, 0, 0};
      for (size_t t = i; t < i + 4; ++t) {
        if (t < k)
          codes[t - i] = idx[c * k + t];
        else if (zero_index >= 0)
          codes[t - i] = (uint8_t)zero_index;
        else
          return coopt_rt_fail(
              err, COOPT_RT_INVALID_STRUCTURE,
              "channel %zu: K = %zu is not a multiple of 4 and the codebook has no 0 entry for the padding", c, k);
      }
      pd[j] = (uint8_t)(i / 4 - prev), prev = i / 4;
      pv[2 * j] = (uint8_t)(codes[0] | codes[1] << 4);
      pv[2 * j + 1] = (uint8_t)(codes[2] | codes[3] << 4);
      ++j;
      pn[c]++;
    }
  }
  return COOPT_RT_OK;
}

/* ---- depthwise 3x3 ---- */

size_t coopt_rt_dw_out_h(const coopt_rt_dw_shape *s) { return (s->h + s->pad_top + s->pad_bottom - 3) / s->stride + 1; }
size_t coopt_rt_dw_out_w(const coopt_rt_dw_shape *s) { return (s->w + s->pad_left + s->pad_right - 3) / s->stride + 1; }

static coopt_rt_status check_dw(const coopt_rt_dw_shape *s, const void *w, void *packed, size_t packed_size,
                                size_t needed, coopt_rt_error *err) {
  if (!s)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "the shape must not be NULL");
  if (s->c == 0 || s->h == 0 || s->w == 0 || s->c > MAX_DIM || s->h > MAX_DIM || s->w > MAX_DIM)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "input %zux%zux%zu: every dimension must be in [1, %u]", s->h,
                         s->w, s->c, MAX_DIM);
  if (s->stride != 1 && s->stride != 2)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "stride %zu: only 1 and 2 are supported", s->stride);
  if (s->pad_top > 2 || s->pad_left > 2 || s->pad_bottom > 2 || s->pad_right > 2)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "padding beyond the 3x3 window");
  if (s->h + s->pad_top + s->pad_bottom < 3 || s->w + s->pad_left + s->pad_right < 3)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "input smaller than the 3x3 window");
  return check_common(1, s->c, w, packed, packed_size, needed, err);
}

static void write_dw_header(void *packed, int kind, const coopt_rt_dw_shape *s) {
  coopt_blob *b = packed;
  b->dw[0] = (uint16_t)s->h, b->dw[1] = (uint16_t)s->w, b->dw[2] = (uint16_t)s->c, b->dw[3] = (uint16_t)s->stride;
  b->dw[4] = (uint16_t)s->pad_top, b->dw[5] = (uint16_t)s->pad_left, b->dw[6] = (uint16_t)s->pad_bottom,
  b->dw[7] = (uint16_t)s->pad_right;
  b->kind = (uint32_t)kind;
}

/* qs8: int32 bias'[C], mult[C], uint8 shift[C], int8 w[9][C] (16-byte aligned arrays). */
size_t coopt_rt_qs8_dw3x3_packed_size(size_t c) {
  return COOPT_BLOB_HEADER + 2 * coopt_align16(4 * c) + coopt_align16(c) + coopt_align16(9 * c);
}

coopt_rt_status coopt_rt_pack_qs8_dw3x3(const coopt_rt_dw_shape *s, const int8_t *w, const int32_t *bias, int8_t a_zp,
                                        const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                        coopt_rt_error *err) {
  coopt_rt_status st = check_dw(s, w, packed, packed_size, s ? coopt_rt_qs8_dw3x3_packed_size(s->c) : 0, err);
  if (st || (st = check_requant(s->c, rq, err)))
    return st;
  size_t c = s->c;
  write_header(packed, COOPT_BLOB_QS8_DW3X3, c, 9, 9, 0, a_zp, rq);
  write_dw_header(packed, COOPT_BLOB_QS8_DW3X3, s);
  /* The kernels' view of the layout, written through. */
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  int32_t *pb = (int32_t *)D.bias, *pm = (int32_t *)D.mult;
  uint8_t *ps = (uint8_t *)D.shift;
  int8_t *pw = (int8_t *)D.w;
  for (size_t ch = 0; ch < c; ++ch) {
    /* Padding reads as a_zp, so the zero-point term is the same for every
     * output pixel: sum over all 9 taps. */
    int64_t sum = 0;
    for (size_t t = 0; t < 9; ++t)
      sum += w[t * c + ch];
    pb[ch] = (int32_t)((bias ? bias[ch] : 0) - (int64_t)a_zp * sum);
    pm[ch] = rq_mult(rq, ch), ps[ch] = (uint8_t)rq_shift(rq, ch); /* 2..62 (checked) */
  }
  memcpy(pw, w, 9 * c);
  return COOPT_RT_OK;
}

/* f32: float bias[C], w[9][C]. */
size_t coopt_rt_f32_dw3x3_packed_size(size_t c) {
  return COOPT_BLOB_HEADER + coopt_align16(4 * c) + coopt_align16(36 * c);
}

coopt_rt_status coopt_rt_pack_f32_dw3x3(const coopt_rt_dw_shape *s, const float *w, const float *bias, float lo,
                                        float hi, void *packed, size_t packed_size, coopt_rt_error *err) {
  coopt_rt_status st = check_dw(s, w, packed, packed_size, s ? coopt_rt_f32_dw3x3_packed_size(s->c) : 0, err);
  if (st || (st = check_range(lo, hi, err)))
    return st;
  size_t c = s->c;
  write_header(packed, COOPT_BLOB_F32_DW3X3, c, 9, 9, 0, 0, NULL);
  write_dw_header(packed, COOPT_BLOB_F32_DW3X3, s);
  coopt_blob *b = packed;
  b->fmin = lo, b->fmax = hi;
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  float *pb = (float *)D.fbias, *pw = (float *)D.fw;
  for (size_t ch = 0; ch < c; ++ch)
    pb[ch] = bias ? bias[ch] : 0.0f;
  memcpy(pw, w, 36 * c);
  return COOPT_RT_OK;
}

/* ---- k x k convolution: a conv header, then the dense GEMM's blob ---- */

size_t coopt_rt_conv_out_h(const coopt_rt_conv_shape *s) {
  return (s->h + s->pad_top + s->pad_bottom - s->kh) / s->stride_h + 1;
}
size_t coopt_rt_conv_out_w(const coopt_rt_conv_shape *s) {
  return (s->w + s->pad_left + s->pad_right - s->kw) / s->stride_w + 1;
}

static coopt_rt_status check_conv(const coopt_rt_conv_shape *s, size_t n, size_t esize, coopt_rt_error *err) {
  if (!s)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "the shape must not be NULL");
  /* The geometry is stored in 16 bits. */
  if (s->h == 0 || s->w == 0 || s->cin == 0 || s->h >= MAX_DIM || s->w >= MAX_DIM || s->cin >= MAX_DIM)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "input %zux%zux%zu: every dimension must be in [1, %u]", s->h,
                         s->w, s->cin, MAX_DIM - 1);
  if (s->kh == 0 || s->kw == 0 || s->kh > 64 || s->kw > 64)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "kernel %zux%zu: each side must be in [1, 64]", s->kh, s->kw);
  if (s->stride_h == 0 || s->stride_w == 0 || s->stride_h > 64 || s->stride_w > 64)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "stride %zux%zu: each must be in [1, 64]", s->stride_h,
                         s->stride_w);
  if (s->pad_top >= s->kh || s->pad_bottom >= s->kh || s->pad_left >= s->kw || s->pad_right >= s->kw)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "padding %zu/%zu/%zu/%zu reaches beyond the %zux%zu window",
                         s->pad_top, s->pad_left, s->pad_bottom, s->pad_right, s->kh, s->kw);
  if (s->h + s->pad_top + s->pad_bottom < s->kh || s->w + s->pad_left + s->pad_right < s->kw)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "input smaller than the %zux%zu window", s->kh, s->kw);
  size_t patch = s->kh * s->kw * s->cin * esize;
  if (patch > COOPT_RT_CONV_MAX_PATCH_BYTES)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "a %zux%zux%zu patch is %zu bytes; at most %d are supported",
                         s->kh, s->kw, s->cin, patch, COOPT_RT_CONV_MAX_PATCH_BYTES);
  if (n == 0 || n > MAX_DIM)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "%zu output channels: must be in [1, %u]", n, MAX_DIM);
  return COOPT_RT_OK;
}

static void write_conv_header(void *packed, int kind, const coopt_rt_conv_shape *s, size_t n, int a_zp) {
  write_header(packed, kind, n, s->kh * s->kw * s->cin, s->kh * s->kw * s->cin, 0, a_zp, NULL);
  coopt_blob *b = packed;
  const size_t g[11] = {s->h,        s->w,       s->cin,      s->kh,         s->kw,       s->stride_h,
                        s->stride_w, s->pad_top, s->pad_left, s->pad_bottom, s->pad_right};
  for (int i = 0; i < 11; ++i)
    b->conv[i] = (uint16_t)g[i];
}

size_t coopt_rt_qs8_conv_packed_size(const coopt_rt_conv_shape *s, size_t n) {
  return s ? COOPT_BLOB_HEADER + coopt_rt_qs8_gemm_packed_size(n, s->kh * s->kw * s->cin) : 0;
}

coopt_rt_status coopt_rt_pack_qs8_conv(const coopt_rt_conv_shape *s, size_t n, const int8_t *w, const int32_t *bias,
                                       int8_t a_zp, const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                       coopt_rt_error *err) {
  coopt_rt_status st = check_conv(s, n, 1, err);
  if (st ||
      (st = check_common(n, s->kh * s->kw * s->cin, w, packed, packed_size, coopt_rt_qs8_conv_packed_size(s, n), err)))
    return st;
  if ((st = coopt_rt_pack_qs8_gemm(n, s->kh * s->kw * s->cin, w, bias, a_zp, rq, (char *)packed + COOPT_BLOB_HEADER,
                                   packed_size - COOPT_BLOB_HEADER, err)))
    return st;
  write_conv_header(packed, COOPT_BLOB_QS8_CONV, s, n, a_zp);
  return COOPT_RT_OK;
}

size_t coopt_rt_f32_conv_packed_size(const coopt_rt_conv_shape *s, size_t n) {
  return s ? COOPT_BLOB_HEADER + coopt_rt_f32_gemm_packed_size(n, s->kh * s->kw * s->cin) : 0;
}

coopt_rt_status coopt_rt_pack_f32_conv(const coopt_rt_conv_shape *s, size_t n, const float *w, const float *bias,
                                       float lo, float hi, void *packed, size_t packed_size, coopt_rt_error *err) {
  coopt_rt_status st = check_conv(s, n, 4, err);
  if (st ||
      (st = check_common(n, s->kh * s->kw * s->cin, w, packed, packed_size, coopt_rt_f32_conv_packed_size(s, n), err)))
    return st;
  if ((st = coopt_rt_pack_f32_gemm(n, s->kh * s->kw * s->cin, w, bias, lo, hi, (char *)packed + COOPT_BLOB_HEADER,
                                   packed_size - COOPT_BLOB_HEADER, err)))
    return st;
  write_conv_header(packed, COOPT_BLOB_F32_CONV, s, n, 0);
  return COOPT_RT_OK;
}

/* ---- qs8 N:M 2:4 ---- */

size_t coopt_rt_qs8_nm24_gemm_packed_size(size_t n, size_t k) {
  return coopt_chan_layout(COOPT_BLOB_QS8_NM24, n, round_up(k, COOPT_NM24_WINDOW), 0).end;
}

coopt_rt_status coopt_rt_pack_qs8_nm24_gemm(size_t n, size_t k, const int8_t *w, const int32_t *bias, int8_t a_zp,
                                            const coopt_rt_requant *rq, void *packed, size_t packed_size,
                                            coopt_rt_error *err) {
  coopt_rt_status st = check_common(n, k, w, packed, packed_size, coopt_rt_qs8_nm24_gemm_packed_size(n, k), err);
  if (st || (st = check_requant(n, rq, err)))
    return st;
  for (size_t c = 0; c < n; ++c)
    for (size_t g = 0; g < k; g += 4) {
      int nz = 0;
      for (size_t t = g; t < g + 4 && t < k; ++t)
        nz += w[c * k + t] != 0;
      if (nz > 2)
        return coopt_rt_fail(err, COOPT_RT_INVALID_STRUCTURE,
                             "not 2:4: output channel %zu has %d nonzeros in k = %zu..%zu (at most 2 per group of 4)",
                             c, nz, g, g + 3 < k ? g + 3 : k - 1);
    }
  const size_t kp = round_up(k, COOPT_NM24_WINDOW);
  write_header(packed, COOPT_BLOB_QS8_NM24, n, k, kp, 0, a_zp, rq);
  coopt_chan_arrays L = coopt_chan_layout(COOPT_BLOB_QS8_NM24, n, kp, 0);
  write_chan_requant(packed, &L, n, w, k, bias, a_zp, rq);
  uint8_t *pos = (uint8_t *)packed + L.index;
  int8_t *val = (int8_t *)packed + L.values;
  memset(pos, 0, n * kp / 4);
  for (size_t c = 0; c < n; ++c)
    for (size_t g = 0; g < kp; g += 4) {
      /* Slots 2g/4 and 2g/4 + 1; an unused slot keeps value 0 at the
       * group's first position, so every position is inside the window. */
      size_t slot = g / 2, used = 0;
      for (size_t t = g; t < g + 4 && t < k && used < 2; ++t)
        if (w[c * k + t] != 0) {
          size_t s = slot + used++;
          val[c * kp / 2 + s] = w[c * k + t];
          pos[c * kp / 4 + s / 2] |= (uint8_t)((t % COOPT_NM24_WINDOW) << (4 * (s % 2)));
        }
      for (; used < 2; ++used) {
        size_t s = slot + used;
        val[c * kp / 2 + s] = 0;
        pos[c * kp / 4 + s / 2] |= (uint8_t)((g % COOPT_NM24_WINDOW) << (4 * (s % 2)));
      }
    }
  return COOPT_RT_OK;
}
