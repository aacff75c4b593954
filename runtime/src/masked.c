/*
 * qs8 masked GEMM: unstructured sparsity (and, in the lut4 form, a
 * per-channel codebook) stored compactly, computed by the dense tile.
 *
 * The blob keeps, per panel of NR output channels, the dense panel's
 * per-channel arrays (the shifts as bytes), one bit per weight of the
 * dense layout ([kp/4][NR][4], a 32-bit word per K group) and only the
 * nonzero weights: int8 values, or 4-bit codes into the channel's 16-entry
 * codebook.  At 50% zeros that is 0.625x the dense weight bytes (0.375x
 * with codes).  Where the zeros come in whole 1x4 blocks (one channel, 4
 * K) a bit per block (a byte per K group) and the kept blocks' 4 weights
 * are smaller, and the packer keeps whichever of the two masks is: at 75%
 * zero blocks 0.28x (0.16x with codes), below the 1x4 sparse forms.
 *
 * Why decode instead of a sparse kernel: a 1-row sparse loop cannot feed
 * SDOT / VPDPBUSD as the dense tile does, so it loses below ~70% zeros
 * (docs/Performance.md).  Decoding a chunk of panels into the dense layout
 * in an L1-sized stack buffer once per call, then running the dense kernel
 * over all M rows on it, costs the dense MACs plus K x N byte writes, which
 * the M rows amortise; the weights read from memory are the compact ones.
 * The output is the dense kernel's, bit for bit, as the decoded panel is
 * byte-identical to the one coopt_rt_pack_qs8_gemm writes (packing goes
 * through it).
 */
#include "tiles.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static size_t panels_of(size_t n) { return (n + COOPT_QS8_NR - 1) / COOPT_QS8_NR; }
static size_t kp_of(size_t k) { return (k + COOPT_QS8_KR - 1) / COOPT_QS8_KR * COOPT_QS8_KR; }

/* Where dense-layout position pos = (g, j, t) of panel p comes from in the
 * [n, k] weights: channel p*NR + j, k = 4g + t; SIZE_MAX in the padding
 * past N or K. */
static size_t source_of(size_t n, size_t k, size_t p, size_t pos) {
  size_t g = pos / (COOPT_QS8_NR * COOPT_QS8_KR), j = pos / COOPT_QS8_KR % COOPT_QS8_NR, t = pos % COOPT_QS8_KR;
  size_t ch = p * COOPT_QS8_NR + j, kk = g * COOPT_QS8_KR + t;
  return ch < n && kk < k ? ch * k + kk : SIZE_MAX;
}

static int8_t weight_at(const int8_t *w, size_t n, size_t k, size_t p, size_t pos) {
  size_t i = source_of(n, k, p, pos);
  return i == SIZE_MAX ? 0 : w[i];
}

/* How many weights of panel p the blob stores under each mask, in one
 * pass: the nonzeros (per weight) and all 4 of every 1x4 block (one
 * channel's 4 positions in a K group) that holds one (per block). */
static void panel_stored(const int8_t *w, size_t n, size_t k, size_t p, size_t *by_weight, size_t *by_block) {
  const size_t len = kp_of(k) * COOPT_QS8_NR;
  *by_weight = *by_block = 0;
  for (size_t pos = 0; pos < len; pos += COOPT_QS8_KR) {
    size_t nonzeros = 0;
    for (size_t t = pos; t < pos + COOPT_QS8_KR; ++t)
      nonzeros += weight_at(w, n, k, p, t) != 0;
    *by_weight += nonzeros;
    *by_block += nonzeros ? COOPT_QS8_KR : 0;
  }
}

/* Whether position pos of a dense panel's weights [kp/4][NR][4] is stored
 * (its value, or with block its 1x4 block's, nonzero). */
static bool stored_at(const int8_t *panel_w, size_t pos, bool block) {
  if (!block)
    return panel_w[pos] != 0;
  const int8_t *b = panel_w + (pos & ~(size_t)(COOPT_QS8_KR - 1));
  return b[0] != 0 || b[1] != 0 || b[2] != 0 || b[3] != 0;
}

static size_t value_bytes(bool lut, size_t stored) { return lut ? (stored + 1) / 2 : stored; }

/* Layout of a masked blob with the given per-panel stored counts. */
static size_t layout(size_t n, size_t k, bool lut, bool block, const size_t *stored, uint32_t *offsets) {
  size_t np = panels_of(n), kp = kp_of(k);
  size_t at = coopt_align16(COOPT_BLOB_HEADER + 4 * (np + 1));
  /* The codebooks of whole panels: the vector decoders load a panel's 8
   * (or a channel pair's 2) at once, so a last panel's padding channels
   * must have zero entries inside the blob to read. */
  if (lut)
    at = coopt_align16(at + 16 * np * COOPT_QS8_NR);
  for (size_t p = 0; p < np; ++p) {
    if (offsets)
      offsets[p] = (uint32_t)at;
    at = (at + COOPT_MASKED_ARRAYS_BYTES + coopt_masked_mask_bytes(kp, block) + value_bytes(lut, stored[p]) + 3) &
         ~(size_t)3;
  }
  if (offsets)
    offsets[np] = (uint32_t)at;
  return coopt_align16(at);
}

/* The code of a zero in channel c's codebook, or -1. */
static int zero_code(const int8_t *book, size_t c) {
  for (int e = 0; e < 16; ++e)
    if (book[16 * c + e] == 0)
      return e;
  return -1;
}

/* The 4-bit form stores a kept block's K padding (K % 4 != 0) as a code,
 * which only a channel whose codebook holds a zero has. */
static bool block_padding_codes(const int8_t *w, const int8_t *book, size_t n, size_t k) {
  if (!book || k % COOPT_QS8_KR == 0)
    return true;
  for (size_t c = 0; c < n; ++c) {
    bool kept = false;
    for (size_t kk = k / COOPT_QS8_KR * COOPT_QS8_KR; kk < k; ++kk)
      kept |= w[c * k + kk] != 0;
    if (kept && zero_code(book, c) < 0)
      return false;
  }
  return true;
}

/* The blob's layout with the smaller of the two masks: per-panel stored
 * counts in stored[0, panels) (stored holds 2 * panels: the rest is
 * scratch), offsets (when not NULL) and the mask kind in *block. */
static size_t choose_layout(size_t n, size_t k, const int8_t *w, const int8_t *book, size_t *stored, uint32_t *offsets,
                            bool *block) {
  const size_t np = panels_of(n);
  size_t *by_block = stored + np;
  for (size_t p = 0; p < np; ++p)
    panel_stored(w, n, k, p, &stored[p], &by_block[p]);
  const size_t weight_size = layout(n, k, book != NULL, false, stored, NULL);
  const size_t block_size =
      block_padding_codes(w, book, n, k) ? layout(n, k, book != NULL, true, by_block, NULL) : SIZE_MAX;
  *block = block_size < weight_size;
  if (*block)
    memcpy(stored, by_block, np * sizeof *stored);
  return layout(n, k, book != NULL, *block, stored, offsets);
}

/* w: the weights (lut: already decoded through book). */
static size_t packed_size(size_t n, size_t k, const int8_t *w, const int8_t *book) {
  if (n == 0 || k == 0 || !w || k > COOPT_RT_MASKED_MAX_K || n > (1u << 16))
    return COOPT_BLOB_HEADER;
  size_t *stored = malloc(2 * panels_of(n) * sizeof *stored);
  if (!stored)
    return 0;
  bool block;
  size_t s = choose_layout(n, k, w, book, stored, NULL, &block);
  free(stored);
  return s;
}

/* idx + book -> weights (channel c's entry idx), NULL on bad input. */
static int8_t *lut_weights(size_t n, size_t k, const uint8_t *idx, const int8_t *book) {
  if (n == 0 || k == 0 || !idx || !book || n > (1u << 16) || k > COOPT_RT_MASKED_MAX_K)
    return NULL;
  int8_t *w = malloc(n * k);
  if (w)
    for (size_t i = 0; i < n * k; ++i)
      w[i] = book[16 * (i / k) + (idx[i] & 15)];
  return w;
}

size_t coopt_rt_qs8_masked_gemm_packed_size(size_t n, size_t k, const int8_t *w) { return packed_size(n, k, w, NULL); }

size_t coopt_rt_qs8_masked_lut4_gemm_packed_size(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook) {
  int8_t *w = lut_weights(n, k, idx, codebook);
  size_t s = w ? packed_size(n, k, w, codebook) : COOPT_BLOB_HEADER;
  free(w);
  return s;
}

/* Pack the dense blob (which validates everything and folds the zero point
 * into the bias), then keep its panels' arrays, the mask and the nonzeros. */
static coopt_rt_status pack(size_t n, size_t k, const int8_t *w, const uint8_t *idx, const int8_t *book,
                            const int32_t *bias, int8_t a_zp, const coopt_rt_requant *rq, void *packed,
                            size_t packed_size_, coopt_rt_error *err) {
  bool lut = idx != NULL;
  if (k > COOPT_RT_MASKED_MAX_K)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT,
                         "K = %zu: the masked form decodes a panel into %d bytes, K <= %d", k,
                         COOPT_RT_MASKED_CHUNK_BYTES, COOPT_RT_MASKED_MAX_K);
  size_t dsize = coopt_rt_qs8_gemm_packed_size(n, k);
  void *dense = aligned_alloc(64, (dsize + 63) / 64 * 64);
  if (!dense)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "out of memory");
  coopt_rt_status st = coopt_rt_pack_qs8_gemm(n, k, w, bias, a_zp, rq, dense, dsize, err);
  if (st != COOPT_RT_OK) {
    free(dense);
    return st;
  }
  size_t np = panels_of(n), kp = kp_of(k), total = 0;
  size_t *stored = malloc(2 * np * sizeof *stored);
  uint32_t *off = malloc((np + 1) * sizeof *off);
  if (!stored || !off) {
    free(dense), free(stored), free(off);
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "out of memory");
  }
  bool block;
  size_t need = choose_layout(n, k, w, lut ? book : NULL, stored, off, &block);
  for (size_t p = 0; p < np; ++p)
    total += stored[p];
  if (!packed || (uintptr_t)packed % 16 || packed_size_ < need) {
    free(dense), free(stored), free(off);
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT,
                         "the packed buffer must be 16-byte aligned with %zu bytes (%zu given)", need, packed_size_);
  }
  memset(packed, 0, need);
  memcpy(packed, dense, COOPT_BLOB_HEADER);
  coopt_blob *b = packed;
  b->kind = lut ? COOPT_BLOB_QS8_MASKED_LUT4 : COOPT_BLOB_QS8_MASKED;
  b->count = (uint32_t)total;
  b->mask_block = block;
  char *base = packed;
  memcpy(base + COOPT_BLOB_HEADER, off, (np + 1) * sizeof *off);
  if (lut)
    for (size_t c = 0; c < n; ++c)
      memcpy((int8_t *)coopt_masked_codebook(packed) + 16 * c, book + 16 * c, 16);
  for (size_t p = 0; p < np; ++p) {
    const coopt_qs8_panel D = coopt_qs8_panel_of(dense, p);
    char *dst = base + off[p];
    memcpy(dst, D.bias, 2 * 4 * COOPT_QS8_NR);
    for (size_t j = 0; j < COOPT_QS8_NR; ++j) /* 2..62 (packing checked it) */
      ((uint8_t *)dst)[2 * 4 * COOPT_QS8_NR + j] = (uint8_t)D.shift[j];
    uint8_t *mask = (uint8_t *)dst + COOPT_MASKED_ARRAYS_BYTES;
    uint8_t *vals = mask + coopt_masked_mask_bytes(kp, block);
    size_t v = 0;
    for (size_t pos = 0; pos < kp * COOPT_QS8_NR; ++pos) {
      if (!stored_at(D.w, pos, block))
        continue;
      if (block)
        mask[pos / 32] |= (uint8_t)(1u << (pos / 4 % 8));
      else
        ((uint32_t *)mask)[pos / 32] |= 1u << (pos % 32);
      if (lut) { /* a stored position past K reads a zero of the codebook */
        size_t i = source_of(n, k, p, pos);
        unsigned code = i == SIZE_MAX ? (unsigned)zero_code(book, p * COOPT_QS8_NR + pos / 4 % 8) : idx[i] & 15u;
        vals[v / 2] |= (uint8_t)(code << (4 * (v % 2)));
      } else {
        vals[v] = (uint8_t)D.w[pos];
      }
      ++v;
    }
  }
  free(dense), free(stored), free(off);
  return COOPT_RT_OK;
}

coopt_rt_status coopt_rt_pack_qs8_masked_gemm(size_t n, size_t k, const int8_t *w, const int32_t *bias,
                                              int8_t a_zero_point, const coopt_rt_requant *rq, void *packed,
                                              size_t packed_size_, coopt_rt_error *err) {
  return pack(n, k, w, NULL, NULL, bias, a_zero_point, rq, packed, packed_size_, err);
}

coopt_rt_status coopt_rt_pack_qs8_masked_lut4_gemm(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook,
                                                   size_t codebook_size, const int32_t *bias, int8_t a_zero_point,
                                                   const coopt_rt_requant *rq, void *packed, size_t packed_size_,
                                                   coopt_rt_error *err) {
  if (n == 0 || k == 0 || !idx)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "shape %zux%zu and the indices must be non-empty", n, k);
  coopt_rt_status st = coopt_rt_check_lut(n, k, idx, codebook, codebook_size, err);
  if (st != COOPT_RT_OK)
    return st;
  /* Entries past codebook_size are ignored: they read as 0 in the blob. */
  int8_t *book = calloc(16 * n, 1);
  if (!book)
    return coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "out of memory");
  for (size_t c = 0; c < n; ++c)
    memcpy(book + 16 * c, codebook + 16 * c, codebook_size);
  int8_t *w = lut_weights(n, k, idx, book);
  st = w ? pack(n, k, w, idx, book, bias, a_zero_point, rq, packed, packed_size_, err)
         : coopt_rt_fail(err, COOPT_RT_INVALID_ARGUMENT, "shape %zux%zu: N <= 65536 and K <= %d", n, k,
                         COOPT_RT_MASKED_MAX_K);
  free(w), free(book);
  return st;
}

/* ---- decoding ---- */

/* Panel p into dst (the dense panel layout): arrays, then the weights
 * [kp/4][NR][4] from the mask and the nonzeros. */
void coopt_qs8_masked_decode__ref(const void *packed, size_t p, void *dst) {
  uint32_t words[COOPT_MASKED_MAX_GROUPS];
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, words);
  uint8_t *out = J.out;
  if (!J.book) {
    const uint8_t *v = J.values;
    for (size_t g = 0; g < J.groups; ++g, out += 32) {
      uint32_t m = J.mask[g];
      if (m == 0xFFFFFFFFu) { /* dense stretches copy as a block */
        memcpy(out, v, 32);
        v += 32;
        continue;
      }
      for (int j = 0; j < 32; ++j, m >>= 1)
        out[j] = (m & 1) ? *v++ : 0;
    }
    return;
  }
  size_t v = 0;
  for (size_t g = 0; g < J.groups; ++g, out += 32) {
    uint32_t m = J.mask[g];
    for (int j = 0; j < 32; ++j, m >>= 1) {
      if (!(m & 1)) {
        out[j] = 0;
        continue;
      }
      unsigned code = (J.values[v / 2] >> (4 * (v % 2))) & 15;
      out[j] = (uint8_t)J.book[16 * (j / COOPT_QS8_KR) + code];
      ++v;
    }
  }
}

/* The decode without branches on the mask, for CPUs with no vector one:
 * the reference's per-bit branch mispredicts on half the bits of a 50%
 * mask.  Eight positions per step (coopt_masked_slots); the 4-bit form
 * reads the step's codes from one 8-byte load at the run's nibble. */
static void decode_i8_scalar(const uint32_t *mask, const uint8_t *v, const uint8_t *end, size_t groups, uint8_t *out) {
  for (size_t i = 0; i < 4 * groups; ++i, out += 8) {
    size_t count;
    const uint64_t slots = coopt_masked_slots(mask[i / 4] >> (8 * (i % 4)) & 0xFF, &count);
    uint8_t s[16] = {0}; /* 8 values, then zeros for the 0xFF slots */
    const uint64_t x = coopt_load8_until(v, end);
    memcpy(s, &x, 8);
    for (size_t j = 0; j < 8; ++j)
      out[j] = s[slots >> (8 * j) & 15];
    v += count;
  }
}

static void decode_lut4_scalar(const uint32_t *mask, const uint8_t *values, const uint8_t *end, size_t groups,
                               const int8_t *book, uint8_t *out) {
  size_t at = 0; /* nibbles consumed */
  for (size_t i = 0; i < 4 * groups; ++i, out += 8) {
    size_t count;
    const uint64_t slots = coopt_masked_slots(mask[i / 4] >> (8 * (i % 4)) & 0xFF, &count);
    const uint64_t codes = coopt_load8_until(values + at / 2, end) >> (4 * (at % 2));
    /* Positions 8i..8i+7 of a group are channels 2(i%4) and 2(i%4)+1. */
    const int8_t *b0 = book + 32 * (i % 4);
    for (size_t j = 0; j < 8; ++j) {
      const unsigned slot = slots >> (8 * j) & 0xFF, stored = slot != 0xFF;
      const int8_t w = b0[16 * (j / 4) + (codes >> (4 * (slot & 7)) & 15)];
      out[j] = (uint8_t)(w & -(int)stored);
    }
    at += count;
  }
}

void coopt_qs8_masked_decode__scalar(const void *packed, size_t p, void *dst) {
  uint32_t words[COOPT_MASKED_MAX_GROUPS];
  const coopt_masked_job J = coopt_masked_start(packed, p, dst, words);
  if (!J.book)
    decode_i8_scalar(J.mask, J.values, J.end, J.groups, J.out);
  else
    decode_lut4_scalar(J.mask, J.values, J.end, J.groups, J.book, J.out);
}

/* Chunks of panels decoded into a dense blob on the stack, then the dense
 * kernel over all M rows.  Whole groups of 4 panels where they fit (else
 * pairs), so the widest tile (32 channels with AVX-512) sees full panels:
 * with 16-channel chunks a K = 512 layer ran at 0.54x the dense kernel's
 * MACs per second, half of it from the narrower tile and half from calling
 * the dense kernel (and its per-call row sums) twice as often. */
void coopt_rt_qs8_masked_gemm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride) {
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t np = panels_of(b->n), pbytes = coopt_qs8_panel_bytes(b->kp);
  size_t per = COOPT_RT_MASKED_CHUNK_BYTES / pbytes;
  per = per >= 4 ? per & ~(size_t)3 : per > 2 ? 2 : per;
  _Alignas(64) char buf[COOPT_BLOB_HEADER + COOPT_RT_MASKED_CHUNK_BYTES];
  for (size_t p0 = 0; p0 < np; p0 += per) {
    size_t cnt = np - p0 < per ? np - p0 : per;
    memcpy(buf, packed, COOPT_BLOB_HEADER);
    coopt_blob *d = (coopt_blob *)buf;
    d->kind = COOPT_BLOB_QS8_GEMM;
    d->n = (uint32_t)(b->n - p0 * COOPT_QS8_NR < cnt * COOPT_QS8_NR ? b->n - p0 * COOPT_QS8_NR : cnt * COOPT_QS8_NR);
    for (size_t i = 0; i < cnt; ++i)
      coopt_qs8_masked_decode(packed, p0 + i, buf + COOPT_BLOB_HEADER + i * pbytes);
    coopt_rt_qs8_gemm(buf, m, a, a_stride, c + p0 * COOPT_QS8_NR, c_stride);
  }
}
