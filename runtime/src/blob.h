/*
 * Packed weight blobs (internal).  A blob starts with a 128-byte header, then
 * the family's arrays, each 16-byte aligned so SIMD loads of a panel never
 * straddle alignment needs the ISA has.  Offsets are in bytes from the blob
 * start.  Kernels read only what the packing wrote; packing validated it.
 */
#ifndef COOPT_RT_BLOB_H
#define COOPT_RT_BLOB_H

#include "coopt_rt/kernels.h"
#include "coopt_rt/quant.h"

#include <string.h>

/* "CPT4": a masked blob may keep its mask a bit per 1x4 block
 * (mask_block), the depthwise blob its shifts as bytes.  CPT3: the
 * per-channel forms store each shift as a byte and a block count only
 * where it varies (CPT2: int32 shifts and a count in every form); since
 * CPT2 the sparse forms index blocks by one-byte deltas (CPT1: 32-bit
 * offsets).  A blob and the runtime that reads it come from one build. */
#define COOPT_RT_MAGIC 0x34545043u

enum {
  COOPT_BLOB_QS8_GEMM = 1,
  COOPT_BLOB_F32_GEMM,
  COOPT_BLOB_F32_SPMM,
  COOPT_BLOB_QS8_SPGEMM,
  COOPT_BLOB_QS8_LUT4,
  COOPT_BLOB_QS8_SPLUT4,
  COOPT_BLOB_QS8_DW3X3,
  COOPT_BLOB_F32_DW3X3,
  COOPT_BLOB_QS8_CONV,
  COOPT_BLOB_F32_CONV,
  COOPT_BLOB_QS8_NM24,
  COOPT_BLOB_QS8_MASKED,
  COOPT_BLOB_QS8_MASKED_LUT4,
  COOPT_BLOB_QS8_BSGEMM
};

typedef struct coopt_blob {
  uint32_t magic, kind;
  uint32_t n, k, kp; /* kp: K padded to the family's group */
  uint32_t count;    /* nonzeros (spmm) or nonzero blocks (sparse) */
  int32_t a_zero_point;
  int32_t out_zero_point, out_min, out_max;
  uint32_t double_round;
  float fmin, fmax;
  uint32_t m_stride;   /* spmm: elements per input row */
  uint16_t dw[8];      /* depthwise: h, w, c, stride, pad t/l/b/r */
  uint16_t conv[11];   /* conv: h, w, cin, kh, kw, stride h/w, pad t/l/b/r;
                          the GEMM blob follows the header */
  uint32_t mask_block; /* masked forms: 1 = a mask bit per 1x4 block, 0 = per weight */
} coopt_blob;

_Static_assert(sizeof(coopt_blob) <= 128, "blob header must fit 128 bytes");

#define COOPT_BLOB_HEADER 128

/* Packing's error return: the message into err (when not NULL), st back. */
coopt_rt_status coopt_rt_fail(coopt_rt_error *err, coopt_rt_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The lookup-table families' codebook and indices (idx: n x k, not NULL):
 * 1 to 16 entries, every index inside them. */
coopt_rt_status coopt_rt_check_lut(size_t n, size_t k, const uint8_t *idx, const int8_t *codebook, size_t codebook_size,
                                   coopt_rt_error *err);
static inline size_t coopt_align16(size_t x) { return (x + 15) & ~(size_t)15; }

/* Per-channel requantization, shared by every qs8 kernel's epilogue. */
static inline int8_t coopt_requant(int32_t acc, int32_t mult, int32_t shift, const coopt_blob *b) {
  int32_t v = coopt_apply_scale_32(acc, mult, shift, b->double_round != 0) + b->out_zero_point;
  return (int8_t)(v < b->out_min ? b->out_min : v > b->out_max ? b->out_max : v);
}

/* ---- layouts: pointers into a blob ---- */

/* qs8 dense: panels of NR channels: int32 bias'[NR], mult[NR], shift[NR],
 * then int8 w[kp/4][NR][4]. */
static inline size_t coopt_qs8_panel_bytes(size_t kp) { return 3 * 4 * COOPT_QS8_NR + kp * COOPT_QS8_NR; }

/* Panel p of a qs8 dense blob, and how many of its NR channels are real. */
typedef struct coopt_qs8_panel {
  const int32_t *bias, *mult, *shift; /* NR each */
  const int8_t *w;                    /* [kp/4][NR][4] */
  size_t ncols;
} coopt_qs8_panel;

/* f32 dense: panels: float bias[NR], then float w[k][NR]. */
static inline size_t coopt_f32_panel_bytes(size_t k) { return 4 * COOPT_F32_NR * (1 + k); }

/* Sparse and LUT families: per-channel arrays at these offsets. */
typedef struct coopt_chan_arrays {
  size_t bias, mult; /* int32[N] (f32 spmm: float bias[N]) */
  size_t shift;      /* uint8[N] (2..62) */
  size_t nnz;        /* uint32[N]: nonzeros / blocks per channel (the sparse forms and the f32 SpMM) */
  size_t codebook;   /* int8[N][16] */
  size_t index;      /* spmm: int32 byte deltas; sparse, splut4: uint8 block deltas (below);
                        nm24: nibbles[N][kp/4] (each kept value's k within its 16-k window) */
  size_t values;     /* spmm: float; sparse: int8[4] per block; lut4: nibbles[N][kp/2]; splut4: uint8[2] per block;
                        nm24: int8[N][kp/2] (the 2 kept values of every 4) */
  size_t end;
} coopt_chan_arrays;

/* The sparse 1x4 forms (int8 and 4-bit) index their kept blocks the way
 * XNNPACK's SpMM does, by deltas, but in one byte: block j of a channel
 * starts at k = 4 * (delta[0] + ... + delta[j]) (the first delta counts
 * from k = 0).  A gap of more than 255 blocks of 4 is bridged by all-zero
 * filler blocks, which count in nnz; they are rare (K > 1020 and a long
 * run of zeros) and cost one block each.  So an index is 1 byte per block
 * against the 4 bytes of a value block, where a 32-bit offset was 4. */
#define COOPT_SPARSE_MAX_DELTA 255
static inline size_t coopt_sparse_fillers(size_t prev_block, size_t block) {
  return block - prev_block > COOPT_SPARSE_MAX_DELTA ? (block - prev_block - 1) / COOPT_SPARSE_MAX_DELTA : 0;
}

/* Row x (K values) times a channel's int8 sparse blocks j..end-1, whose
 * running offset so far is `at` (0 at the channel's start), one value at a
 * time so the partial K-tail block never reads past the row: the
 * reference's whole channel and the vector tiles' leftover blocks. */
static inline int32_t coopt_sparse_blocks_dot(const int8_t *x, size_t k, const uint8_t *delta, const int8_t *values,
                                              size_t j, size_t end, size_t at) {
  int32_t s = 0;
  for (; j < end; ++j) {
    at += 4u * delta[j];
    for (size_t u = 0; u < 4 && at + u < k; ++u)
      s += (int32_t)x[at + u] * values[4 * j + u];
  }
  return s;
}

coopt_chan_arrays coopt_chan_layout(int kind, size_t n, size_t kp, size_t count);

/* Typed pointers into a per-channel blob (sparse, LUT and SpMM families). */
typedef struct coopt_chan_view {
  const int32_t *bias, *mult;
  const uint8_t *shift;
  const float *fbias;      /* f32 SpMM: the bias array as floats */
  const uint32_t *nnz;     /* blocks per channel (the 1x4 sparse forms and the f32 SpMM; no array elsewhere) */
  const uint8_t *delta;    /* sparse int8 / sparse LUT: block deltas */
  const uint8_t *nm24_pos; /* 2:4: position nibbles */
  const int32_t *deltas;   /* f32 SpMM: byte deltas */
  const int8_t *codebook;
  const void *values;
} coopt_chan_view;

static inline coopt_chan_view coopt_chan_view_of(const void *packed) {
  const coopt_blob *b = (const coopt_blob *)packed;
  coopt_chan_arrays L = coopt_chan_layout((int)b->kind, b->n, b->kp, b->count);
  const char *base = (const char *)packed;
  coopt_chan_view v;
  v.bias = (const int32_t *)(base + L.bias), v.fbias = (const float *)(base + L.bias);
  v.mult = (const int32_t *)(base + L.mult), v.shift = (const uint8_t *)(base + L.shift);
  v.nnz = (const uint32_t *)(base + L.nnz), v.delta = v.nm24_pos = (const uint8_t *)(base + L.index);
  v.deltas = (const int32_t *)(base + L.index);
  v.codebook = (const int8_t *)(base + L.codebook);
  v.values = base + L.values;
  return v;
}

static inline coopt_qs8_panel coopt_qs8_panel_of(const void *packed, size_t p) {
  const coopt_blob *b = (const coopt_blob *)packed;
  const int32_t *pb = (const int32_t *)((const char *)packed + COOPT_BLOB_HEADER + p * coopt_qs8_panel_bytes(b->kp));
  size_t rest = b->n - p * COOPT_QS8_NR;
  coopt_qs8_panel v = {pb, pb + COOPT_QS8_NR, pb + 2 * COOPT_QS8_NR, (const int8_t *)(pb + 3 * COOPT_QS8_NR),
                       rest < COOPT_QS8_NR ? rest : COOPT_QS8_NR};
  return v;
}

/* qs8 masked (masked.c): after the header uint32 panel offsets[panels + 1]
 * (bytes from the blob start), the lut4 form's int8 codebook[panels * NR][16]
 * (zero past N: decoders read a panel's 8 or a channel pair's 2), then
 * per panel of NR channels, 4-byte aligned: int32 bias'[NR], mult[NR] (the
 * dense panel's), uint8 shift[NR] (2..62, widened to the dense panel's
 * int32 when decoded), the mask and the stored weights in dense order,
 * int8 or 4-bit codes (low nibble first).  The mask is one of two, the
 * smaller for the blob's weights (b->mask_block):
 * - per weight: uint32 mask[kp/4] (bit i of word g: dense position
 *   [g][i/4][i%4] is nonzero), and only the nonzeros stored;
 * - per 1x4 block: uint8 mask[kp/4] (bit j of byte g: channel j has a
 *   nonzero among k = 4g..4g+3), and all 4 weights of such a block
 *   stored.  For weights pruned in 1x4 blocks that is a quarter of the
 *   mask for the same stored weights (at 75% zero blocks, 0.031 bytes a
 *   weight where the 1x4 sparse forms' one-byte deltas cost 0.0625 and
 *   their block counts 4 bytes a channel).
 * A shift kept as a byte and 4-byte instead of 16-byte panel alignment
 * save about 30 bytes a panel, which is what brought MobileNet's
 * 50%-pruned object under 0.66x the dense one. */
#define COOPT_MASKED_ARRAYS_BYTES (2 * 4 * COOPT_QS8_NR + COOPT_QS8_NR)
#define COOPT_MASKED_MAX_GROUPS   ((COOPT_RT_MASKED_MAX_K + COOPT_QS8_KR - 1) / COOPT_QS8_KR)
typedef struct coopt_masked_panel {
  const int32_t *arrays; /* bias', mult: NR each */
  const uint8_t *shift;  /* NR */
  const void *mask;      /* kp/4 uint32 words, or kp/4 bytes when mask_block */
  const uint8_t *values;
} coopt_masked_panel;

static inline size_t coopt_masked_mask_bytes(size_t kp, bool block) {
  return block ? kp / COOPT_QS8_KR : kp / COOPT_QS8_KR * 4;
}

static inline coopt_masked_panel coopt_masked_panel_of(const void *packed, size_t p) {
  const coopt_blob *b = (const coopt_blob *)packed;
  const uint32_t *off = (const uint32_t *)((const char *)packed + COOPT_BLOB_HEADER);
  const char *at = (const char *)packed + off[p];
  coopt_masked_panel v = {
      (const int32_t *)at, (const uint8_t *)(at + 2 * 4 * COOPT_QS8_NR), at + COOPT_MASKED_ARRAYS_BYTES,
      (const uint8_t *)(at + COOPT_MASKED_ARRAYS_BYTES + coopt_masked_mask_bytes(b->kp, b->mask_block != 0))};
  return v;
}

static inline const int8_t *coopt_masked_codebook(const void *packed) {
  const coopt_blob *b = (const coopt_blob *)packed;
  size_t panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR;
  return (const int8_t *)packed + coopt_align16(COOPT_BLOB_HEADER + 4 * (panels + 1));
}

/* The end of panel p's stored bytes (the next panel's start, or the blob's
 * end): decoders that load 8 or 16 bytes at a time must not read past it. */
static inline const uint8_t *coopt_masked_panel_end(const void *packed, size_t p) {
  const uint32_t *off = (const uint32_t *)((const char *)packed + COOPT_BLOB_HEADER);
  return (const uint8_t *)packed + off[p + 1];
}

/* A block mask byte as the per-weight word: bit j -> bits 4j..4j+3 (the
 * bits spread to every fourth place by three shift-and-masks, then each
 * filled to its nibble by a multiply that cannot carry). */
static inline uint32_t coopt_masked_block_word(unsigned byte) {
  uint32_t x = byte & 0xFFu;
  x = (x | x << 12) & 0x000F000Fu;
  x = (x | x << 6) & 0x03030303u;
  x = (x | x << 3) & 0x11111111u;
  return x * 15u;
}

/* What every decoder of panel p works from, once the panel's per-channel
 * arrays are written to dst as the dense panel's: the mask, the stored
 * bytes up to the panel's end, the panel's 8 codebooks (NULL for the int8
 * form) and where the dense weights go. */
typedef struct coopt_masked_job {
  const uint32_t *mask; /* kp/4 per-weight words; NULL when `block` is the mask */
  const uint8_t *block; /* kp/4 block bytes, when the blob keeps them and the decoder reads them */
  const uint8_t *values, *end;
  size_t groups, ncols;
  const int8_t *book;
  uint8_t *out;
} coopt_masked_job;

/* words: NULL when the decoder reads a block mask itself (then exactly
 * one of J.mask and J.block is set); else room for COOPT_MASKED_MAX_GROUPS
 * words, where a block mask is widened to the per-weight one, so that a
 * decoder of one kind of mask reads both (the widening is one word per 32
 * weights decoded). */
static inline coopt_masked_job coopt_masked_start(const void *packed, size_t p, void *dst, uint32_t *words) {
  const coopt_blob *b = (const coopt_blob *)packed;
  const coopt_masked_panel P = coopt_masked_panel_of(packed, p);
  memcpy(dst, P.arrays, 2 * 4 * COOPT_QS8_NR);
  int32_t *shift = (int32_t *)dst + 2 * COOPT_QS8_NR;
  for (size_t j = 0; j < COOPT_QS8_NR; ++j)
    shift[j] = P.shift[j];
  const size_t first = p * COOPT_QS8_NR, groups = b->kp / COOPT_QS8_KR;
  const uint32_t *mask = b->mask_block ? NULL : (const uint32_t *)P.mask;
  const uint8_t *block = b->mask_block ? (const uint8_t *)P.mask : NULL;
  if (block && words) {
    for (size_t g = 0; g < groups; ++g)
      words[g] = coopt_masked_block_word(block[g]);
    mask = words, block = NULL;
  }
  coopt_masked_job j = {mask,
                        block,
                        P.values,
                        coopt_masked_panel_end(packed, p),
                        groups,
                        b->n - first < COOPT_QS8_NR ? b->n - first : COOPT_QS8_NR,
                        b->kind == COOPT_BLOB_QS8_MASKED ? NULL : coopt_masked_codebook(packed) + 16 * first,
                        (uint8_t *)dst + 3 * 4 * COOPT_QS8_NR};
  return j;
}

/* Eight dense positions with mask bits m8 (bit j: position j is stored):
 * byte j of the result is where in the packed run position j's value is
 * (the number of stored values before it), or 0xFF where nothing is
 * stored, which is a zero lane for both pshufb and TBL; *count is how many
 * are stored.  Plain 64-bit arithmetic (bits spread to bytes by a multiply,
 * prefix sums by another), so vector decoders need one byte shuffle per 8
 * positions and the scalar one no branches. */
static inline uint64_t coopt_masked_slots(unsigned m8, size_t *count) {
  const uint64_t ones = 0x0101010101010101ull;
  const uint64_t bits = ((((uint64_t)m8 * ones) & 0x8040201008040201ull) + 0x7F7F7F7F7F7F7F7Full) >> 7 & ones;
  const uint64_t inclusive = bits * ones;
  *count = (size_t)(inclusive >> 56);
  return (inclusive - bits) | ((bits ^ ones) * 0xFF);
}

/* The 8 bytes at v, or the ones before end (zeros after) near the end. */
static inline uint64_t coopt_load8_until(const uint8_t *v, const uint8_t *end) {
  uint64_t x = 0;
  if (end - v >= 8)
    memcpy(&x, v, 8);
  else
    memcpy(&x, v, (size_t)(end - v));
  return x;
}

/* A vector decode's last steps: once fewer stored bytes are left than a
 * step may read, it goes on from a copy with zeros after it, so its wide
 * loads stay inside the panel (coopt_masked_to_tail copies [v, *end) there
 * and moves *end; a step may then read 32 bytes past the copy's end). */
typedef struct coopt_masked_tail {
  uint8_t bytes[64];
  bool taken;
} coopt_masked_tail;

static inline const uint8_t *coopt_masked_to_tail(coopt_masked_tail *t, const uint8_t *v, const uint8_t **end) {
  const size_t left = (size_t)(*end - v);
  memset(t->bytes, 0, sizeof t->bytes);
  memcpy(t->bytes, v, left);
  t->taken = true;
  *end = t->bytes + left;
  return t->bytes;
}

/* The per-weight 4-bit form's two-pass decodes (the vector ones) unpack
 * the codes of this many K groups at a time: a chunk's codes fit 1 KiB. */
#define COOPT_MASKED_CHUNK_GROUPS 32

/* The chunk of groups from g0: its end in *g1 and how many codes its mask
 * words store. */
static inline size_t coopt_masked_chunk(const uint32_t *mask, size_t g0, size_t groups, size_t *g1) {
  *g1 = groups - g0 < COOPT_MASKED_CHUNK_GROUPS ? groups : g0 + COOPT_MASKED_CHUNK_GROUPS;
  size_t count = 0;
  for (size_t g = g0; g < *g1; ++g)
    count += (size_t)__builtin_popcount(mask[g]);
  return count;
}

/* qs8 block-sparse (bsgemm): the dense panel layout with its all-zero c4
 * groups left out, so a block is exactly what the dense tile multiplies per
 * K group (NR channels x 4 K, 32 bytes) and the kernel is the dense tile
 * skipping groups.  After the header: uint32 offsets[panels + 1] (bytes
 * from the blob start) and uint32 blocks[panels]; then per panel, 16-byte
 * aligned: int32 bias'[NR], mult[NR], shift[NR] (the dense panel's), int8
 * blocks[nb][NR][4], uint8 delta[nb].  Block j of a panel is K group
 * delta[0] + ... + delta[j]; gaps over 255 groups are bridged by all-zero
 * filler blocks, as in the 1x4 sparse forms. */
typedef struct coopt_bs_panel {
  const int32_t *bias, *mult, *shift; /* NR each */
  const int8_t *blocks;               /* [nb][NR][4] */
  const uint8_t *delta;               /* [nb] */
  size_t nb, ncols;
} coopt_bs_panel;

static inline size_t coopt_bs_table_bytes(size_t panels) { return coopt_align16(4 * (2 * panels + 1)); }

static inline coopt_bs_panel coopt_bs_panel_of(const void *packed, size_t p) {
  const coopt_blob *b = (const coopt_blob *)packed;
  const size_t panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR, first = p * COOPT_QS8_NR;
  const uint32_t *off = (const uint32_t *)((const char *)packed + COOPT_BLOB_HEADER), *nb = off + panels + 1;
  const int32_t *at = (const int32_t *)((const char *)packed + off[p]);
  const int8_t *blocks = (const int8_t *)(at + 3 * COOPT_QS8_NR);
  coopt_bs_panel v = {at,
                      at + COOPT_QS8_NR,
                      at + 2 * COOPT_QS8_NR,
                      blocks,
                      (const uint8_t *)(blocks + (size_t)nb[p] * COOPT_QS8_NR * COOPT_QS8_KR),
                      nb[p],
                      b->n - first < COOPT_QS8_NR ? b->n - first : COOPT_QS8_NR};
  return v;
}

/* Depthwise 3x3 arrays after the header, each 16-byte aligned: qs8 int32
 * bias'[C], mult[C], uint8 shift[C] (2..62: a byte, as in the per-channel
 * GEMM forms, 3 bytes a channel less than an int32), then int8 w[9][C];
 * f32 float bias[C], then float w[9][C]. */
typedef struct coopt_dw_arrays {
  const int32_t *bias, *mult; /* qs8 */
  const uint8_t *shift;       /* qs8 */
  const int8_t *w;            /* qs8 */
  const float *fbias, *fw;    /* f32 */
} coopt_dw_arrays;

static inline coopt_dw_arrays coopt_dw_arrays_of(const void *packed) {
  const coopt_blob *b = (const coopt_blob *)packed;
  const size_t c = b->dw[2], a4 = coopt_align16(4 * c);
  const char *base = (const char *)packed + COOPT_BLOB_HEADER;
  coopt_dw_arrays v = {(const int32_t *)base,
                       (const int32_t *)(base + a4),
                       (const uint8_t *)(base + 2 * a4),
                       (const int8_t *)(base + 2 * a4 + coopt_align16(c)),
                       (const float *)base,
                       (const float *)(base + a4)};
  return v;
}

/* The lookup-table dot product of x[from..k) with one channel's 4-bit codes
 * (low nibble = even k) and 16-entry codebook: the scalar tail of every
 * vector LUT kernel and the whole of the reference. */
static inline int32_t coopt_lut4_dot(const int8_t *x, const uint8_t *codes, const int8_t *book, size_t from, size_t k) {
  int32_t s = 0;
  for (size_t i = from; i < k; ++i)
    s += (int32_t)x[i] * book[(codes[i / 2] >> (4 * (i % 2))) & 15];
  return s;
}

/* 2:4 sparse int8: every 16 k of a channel keep 8 values (2 per group of
 * 4) and their positions in the window as nibbles (low nibble first). */
#define COOPT_NM24_WINDOW 16
static inline unsigned coopt_nm24_pos(const uint8_t *nibbles, size_t slot) {
  return (nibbles[slot / 2] >> (4 * (slot % 2))) & 15;
}

/* Depthwise: the shape recorded in the blob header. */
static inline coopt_rt_dw_shape coopt_dw_shape_of(const void *packed) {
  const coopt_blob *b = (const coopt_blob *)packed;
  coopt_rt_dw_shape s = {b->dw[0], b->dw[1], b->dw[2], b->dw[3], b->dw[4], b->dw[5], b->dw[6], b->dw[7]};
  return s;
}

/* k x k convolution: the geometry recorded in the blob header. */
static inline coopt_rt_conv_shape coopt_conv_shape_of(const void *packed) {
  const coopt_blob *b = (const coopt_blob *)packed;
  coopt_rt_conv_shape s = {b->conv[0], b->conv[1], b->conv[2], b->conv[3], b->conv[4], b->conv[5],
                           b->conv[6], b->conv[7], b->conv[8], b->conv[9], b->conv[10]};
  return s;
}

/* The input pixels (rows of C elements of `elem` bytes) under the 9 taps of
 * output pixel (y, x); NULL where a tap falls in the padding. */
static inline void coopt_dw_taps(const coopt_rt_dw_shape *s, const void *in, size_t elem, size_t y, size_t x,
                                 const void *tap[9]) {
  for (size_t t = 0; t < 9; ++t) {
    ptrdiff_t iy = (ptrdiff_t)(y * s->stride + t / 3) - (ptrdiff_t)s->pad_top,
              ix = (ptrdiff_t)(x * s->stride + t % 3) - (ptrdiff_t)s->pad_left;
    tap[t] = iy < 0 || ix < 0 || iy >= (ptrdiff_t)s->h || ix >= (ptrdiff_t)s->w
                 ? NULL
                 : (const char *)in + ((size_t)iy * s->w + (size_t)ix) * s->c * elem;
  }
}

static inline const coopt_blob *coopt_blob_of(const void *p) { return (const coopt_blob *)p; }
#define COOPT_AT(blob, off, type) ((type)((const char *)(blob) + (off)))

/* One output channel of a depthwise 3x3 pixel in plain C: the reference,
 * and the channel tail of the vector kernels. */
static inline int8_t coopt_qs8_dw_channel(const int8_t *const tap[9], const int8_t *pw, size_t C, size_t ch,
                                          int32_t bias, int32_t mult, int32_t shift, const coopt_blob *b) {
  int32_t acc = bias;
  for (size_t t = 0; t < 9; ++t)
    acc += (tap[t] ? tap[t][ch] : b->a_zero_point) * pw[t * C + ch];
  return coopt_requant(acc, mult, shift, b);
}

static inline float coopt_f32_dw_channel(const float *const tap[9], const float *pw, size_t C, size_t ch, float bias,
                                         const coopt_blob *b) {
  float acc = bias;
  for (size_t t = 0; t < 9; ++t)
    if (tap[t])
      acc += tap[t][ch] * pw[t * C + ch];
  return acc < b->fmin ? b->fmin : acc > b->fmax ? b->fmax : acc;
}

#endif
