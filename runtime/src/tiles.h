/*
 * Kernel tiles and how the dispatcher chooses them (internal).
 *
 * The runtime is laid out as XNNPACK and IREE's ukernels are: blob.h owns
 * the packed formats, ref.c holds the generic C kernels that define every
 * family's result, arch/<isa>/ holds one file per family and ISA feature
 * (each compiled with only its own flags) and dispatch.c holds, per family,
 * an ordered table of (CPU features, minimum M, tile).  The first entry
 * whose features the CPU has and whose minimum M the call meets runs; the
 * last entry of every table is the reference, so a table always answers.
 *
 * The features are read once, at run time: from CPUID on x86, from the
 * kernel's AT_HWCAP on aarch64 (where the build compiled each tile file with
 * its own flags), so one build runs on any CPU of the architecture and uses
 * the best tile of the machine it runs on.  Compiled as one set of files for
 * one -march, aarch64 takes the compiler's target macros instead.
 */
#ifndef COOPT_RT_TILES_H
#define COOPT_RT_TILES_H

#include "blob.h"

#include <math.h>
#include <stdlib.h>

/* CPU features a tile needs (bit set) and the CPU has. */
enum {
  COOPT_ISA_X86_AVX2 = 1u << 0,        /* AVX2 + FMA, ymm state enabled by the OS */
  COOPT_ISA_X86_AVXVNNI = 1u << 1,     /* VEX vpdpbusd */
  COOPT_ISA_X86_AVX512VNNI = 1u << 2,  /* AVX-512 F, BW, VL, VNNI, zmm and opmask state */
  COOPT_ISA_X86_AVX512VBMI2 = 1u << 3, /* AVX-512 VBMI + VBMI2 (byte expand, byte permutes) */
  COOPT_ISA_ARM_NEON = 1u << 8,
  COOPT_ISA_ARM_DOTPROD = 1u << 9,
  COOPT_ISA_ARM_I8MM = 1u << 10
};

/* The features of this CPU the build has tiles for, limited by the
 * environment variable COOPT_RT_ISA when set (x86-64: generic, avx2,
 * avxvnni, avx512; aarch64: generic, neon, dotprod, i8mm; each keeps its
 * level and the ones below), so benchmarks and tests can run every level
 * on one machine. */
uint32_t coopt_rt_cpu_features(void);

/* The 4 activation bytes of a c4 group as one word; `avail` (1..4) of them
 * are real, the rest (the K tail, whose weights are 0) read 0.  A tail
 * group of a row with at least 4 bytes (`back`) loads the row's last 4
 * bytes and shifts the real ones down: a variable-length memcpy per row and
 * tail group was 40% of a K = 9 GEMM (the 3x3 single-channel stem) under
 * perf.  Constant `avail` = 4 folds to one load. */
static inline uint32_t coopt_load_group4(const int8_t *g, size_t avail, bool back) {
  uint32_t v = 0;
  if (avail >= 4) {
    memcpy(&v, g, 4);
  } else if (back) {
    memcpy(&v, g + avail - 4, 4);
    v >>= 8 * (4 - avail);
  } else {
    memcpy(&v, g, avail);
  }
  return v;
}

/* The row tile of the sparse kernels (x86 1x4: 8 rows; block-sparse: 1 to
 * 8, as many as the call has left): for every K group of 4, rows 0..rows-1 x 4 bytes contiguous (4 *
 * rows bytes), each 4-byte word xor `flip` (0, or 0x80808080 for the
 * unsigned operand of vpdpbusd).  Rows past mr repeat the last row; K past
 * the end reads as 0 (before the flip; its weights are 0). */
static inline void coopt_regroup_rows(const int8_t *a, size_t a_stride, size_t mr, size_t rows, size_t k, size_t groups,
                                      uint32_t flip, int8_t *tile) {
  for (size_t r = 0; r < rows; ++r) {
    const int8_t *x = a + (r < mr ? r : mr - 1) * a_stride;
    size_t q = 0;
    for (; 4 * q + 4 <= k; ++q) {
      uint32_t v;
      memcpy(&v, x + 4 * q, 4);
      v ^= flip;
      memcpy(tile + 4 * rows * q + 4 * r, &v, 4);
    }
    if (q < groups) {
      uint32_t v = 0;
      memcpy(&v, x + 4 * q, k - 4 * q);
      v ^= flip;
      memcpy(tile + 4 * rows * q + 4 * r, &v, 4);
    }
  }
}

/* ---- tile signatures, one per family ---- */

/* qs8 GEMM tiles write int32 accumulators to acc when it is not NULL, else
 * requantized int8 to c. */
typedef void (*coopt_qs8_gemm_fn)(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride, int32_t *acc, size_t acc_stride);
/* The sparse, 2:4 and lookup-table int8 families. */
typedef void (*coopt_qs8_rows_fn)(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride);
typedef void (*coopt_f32_gemm_fn)(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride);
typedef void (*coopt_f32_spmm_fn)(const void *packed, size_t m, const float *in, float *out);
typedef void (*coopt_qs8_dw_fn)(const void *packed, const int8_t *in, int8_t *out);
typedef void (*coopt_f32_dw_fn)(const void *packed, const float *in, float *out);
/* Panel p of a masked blob into the dense panel layout at dst. */
typedef void (*coopt_masked_decode_fn)(const void *packed, size_t p, void *dst);

/* ---- per-call scratch ---- */

/* A kernel's per-call scratch (the regrouped rows of the sparse and
 * block-sparse tiles, their per-channel start values, a prologue's laid-out
 * rows) on the caller's stack when it fits, else the heap: for the layers of
 * the bundled models it always fits, so a compiled model's inference makes
 * no allocator call in its kernels (coopt-plan-buffers removed those around
 * them).  `stack` is `stack_bytes` bytes aligned to `align`; NULL when the
 * heap has no room. */
static inline void *coopt_scratch_get(void *stack, size_t stack_bytes, size_t bytes, size_t align) {
  return bytes <= stack_bytes ? stack : aligned_alloc(align, (bytes + align - 1) / align * align);
}

static inline void coopt_scratch_put(void *p, const void *stack) {
  if (p != stack)
    free(p);
}

/* ---- generic drivers ---- */

/* The depthwise 3x3 pixel loop, shared by every ISA's kernel as IREE's
 * ukernels share a generic driver between arch tiles: for each output pixel
 * its 9 tap rows (NULL in the padding), then `block` channels at a time
 * through the ISA's tile and the rest through `one`, a tile of one channel.
 * Each ISA file expands it with its own tiles (always_inline, so their
 * calls are direct and inlined); a tile holds only the 9-tap sum and the
 * epilogue of its channels, on elements of `elem` bytes (int8 or f32: the
 * taps and the output row are passed untyped).  `dround`: the blob's
 * rounding, for int8 tiles compiled per rounding (x86.h rescale8); others
 * read it from the blob. */
typedef void (*coopt_dw_tile_fn)(const coopt_blob *b, const coopt_dw_arrays *D, size_t C, const void *const tap[9],
                                 size_t c, void *o, bool dround);

static inline __attribute__((always_inline)) void coopt_dw3x3_drive(const void *packed, const void *in, void *out,
                                                                    const size_t elem, const size_t block,
                                                                    const coopt_dw_tile_fn tile,
                                                                    const coopt_dw_tile_fn one, const bool dround) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_rt_dw_shape s = coopt_dw_shape_of(packed);
  const size_t C = s.c, oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s), whole = C / block * block;
  const coopt_dw_arrays D = coopt_dw_arrays_of(packed);
  for (size_t y = 0; y < oh; ++y)
    for (size_t x = 0; x < ow; ++x) {
      const void *tap[9];
      coopt_dw_taps(&s, in, elem, y, x, tap);
      void *o = (char *)out + (y * ow + x) * C * elem;
      for (size_t c = 0; c < whole; c += block)
        tile(b, &D, C, tap, c, o, dround);
      for (size_t c = whole; c < C; ++c)
        one(b, &D, C, tap, c, o, dround);
    }
}

/* The per-channel int8 families (1x4 sparse, 2:4, lookup-table, sparse
 * lookup-table) share one loop: `rows` rows at a time (rows past m repeat
 * the last one and are not stored), an optional prologue that lays the
 * rows out once for every channel (widened, xor 0x80, a zero-padded tail),
 * then `block` channels at a time through the tile, whose int32 sums the
 * driver requantizes with the channels' bias, multiplier and shift.  The
 * tiles differ in what they keep per row and how many channels share a
 * step; what they share is here once.  Expanded with constant rows, block
 * and tile functions (always_inline), so the calls fold away and the row
 * state stays in registers. */
#define COOPT_ROWS_MAX  4 /* rows per step */
#define COOPT_CHANS_MAX 2 /* channels per step */

typedef struct coopt_qs8_rows {
  const int8_t *x[COOPT_ROWS_MAX]; /* the step's rows */
  size_t mr;                       /* how many of them are real */
  void *scratch;                   /* the prologue's: COOPT_ROWS_SCRATCH(kp) bytes a row, 32-byte aligned */
  size_t next;                     /* sparse families: the next channel's first block (0 at each step) */
} coopt_qs8_rows;

/* Room for one row widened to int16, plus a 32-byte tail. */
#define COOPT_ROWS_SCRATCH(kp) (2 * (kp) + 32)

typedef void (*coopt_qs8_rows_prep_fn)(const coopt_blob *b, coopt_qs8_rows *R);
/* Sums of channels ch..ch+nc-1 (nc <= block) for every row of the step:
 * sum[r * COOPT_CHANS_MAX + u], without the bias. */
typedef void (*coopt_qs8_chan_tile_fn)(const coopt_blob *b, const coopt_chan_view *V, coopt_qs8_rows *R, size_t ch,
                                       size_t nc, int32_t *sum);

static inline __attribute__((always_inline)) void coopt_qs8_rows_drive(const void *packed, size_t m, const int8_t *a,
                                                                       size_t a_stride, int8_t *c, size_t c_stride,
                                                                       const size_t rows, const size_t block,
                                                                       const coopt_qs8_rows_prep_fn prep,
                                                                       const coopt_qs8_chan_tile_fn tile) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  /* The prologue's rows on the stack up to 4 KiB (K <= 2032 at one row, 496 at four):
   * most layers, and no allocator call for them. */
  _Alignas(32) char stack[4096];
  const size_t bytes = prep ? rows * COOPT_ROWS_SCRATCH(b->kp) : 0;
  coopt_qs8_rows R = {.scratch = coopt_scratch_get(stack, sizeof stack, bytes, 32)};
  if (!R.scratch)
    return;
  for (size_t r0 = 0; r0 < m; r0 += rows) {
    /* (With one row or one channel a step, the counts are spelled as
     * constants: GCC does not infer them, and the loops below stay loops.) */
    R.mr = rows == 1 ? 1 : m - r0 < rows ? m - r0 : rows;
    R.next = 0;
    for (size_t r = 0; r < rows; ++r)
      R.x[r] = a + (r0 + (r < R.mr ? r : R.mr - 1)) * a_stride;
    if (prep)
      prep(b, &R);
    for (size_t ch = 0; ch < b->n; ch += block) {
      const size_t nc = block == 1 ? 1 : b->n - ch < block ? b->n - ch : block;
      int32_t sum[COOPT_ROWS_MAX * COOPT_CHANS_MAX];
      tile(b, &V, &R, ch, nc, sum);
      for (size_t r = 0; r < R.mr; ++r)
        for (size_t u = 0; u < nc; ++u)
          c[(r0 + r) * c_stride + ch + u] =
              coopt_requant(V.bias[ch + u] + sum[r * COOPT_CHANS_MAX + u], V.mult[ch + u], V.shift[ch + u], b);
    }
  }
  coopt_scratch_put(R.scratch, stack);
}

/* The block-sparse int8 GEMM's loop, shared by the NEON SDOT, AVX-VNNI and
 * AVX-512 VNNI tiles: up to `rows_max` rows a step, regrouped once per step
 * block-major (the tile's `regroup`: coopt_regroup_rows, or a faster one
 * of its own) at the row count `rows_of(mr)` its panel step wants for mr
 * real rows (the vector of rows, or mr broadcasts), then every panel
 * through `panel`, which runs the panel's kept blocks against the regrouped
 * rows and stores the mr rows.  The regroup is paid once per step and read
 * by every panel, which is what lets a zero block cost nothing.  `start`
 * (or NULL) fills panels * NR int32 once per call: what a tile's channels
 * start from (the x86 tiles' bias - 128 * sum(w)). */
typedef size_t (*coopt_bs_rows_fn)(size_t mr);
typedef void (*coopt_bs_regroup_fn)(const int8_t *a, size_t a_stride, size_t mr, size_t rows, size_t k, size_t groups,
                                    uint32_t flip, int8_t *tile);
typedef void (*coopt_bs_start_fn)(const void *packed, int32_t *start);
typedef void (*coopt_bs_panel_fn)(const coopt_blob *b, const coopt_bs_panel *P, const int32_t *start,
                                  const int8_t *tile, size_t rows, size_t mr, int8_t *c, size_t c_stride,
                                  const bool dround);

/* A tile's shape for the driver, written with designated initializers at
 * the call. */
typedef struct coopt_bs_shape {
  size_t rows_max;             /* rows a step */
  uint32_t flip;               /* xor on each regrouped activation word (0x80808080: a + 128 for vpdpbusd) */
  coopt_bs_rows_fn rows_of;    /* the regrouped row count for a step of mr rows */
  coopt_bs_regroup_fn regroup; /* coopt_regroup_rows or the tile's own */
  coopt_bs_start_fn start;     /* or NULL */
  coopt_bs_panel_fn panel;
} coopt_bs_shape;

static inline __attribute__((always_inline)) void coopt_bsgemm_drive(const void *packed, size_t m, const int8_t *a,
                                                                     size_t a_stride, int8_t *c, size_t c_stride,
                                                                     const coopt_bs_shape shape, const bool dround) {
  const size_t rows_max = shape.rows_max;
  const uint32_t flip = shape.flip;
  const coopt_bs_rows_fn rows_of = shape.rows_of;
  const coopt_bs_regroup_fn regroup = shape.regroup;
  const coopt_bs_start_fn start_fn = shape.start;
  const coopt_bs_panel_fn panel = shape.panel;
  const coopt_blob *b = coopt_blob_of(packed);
  const size_t groups = b->kp / COOPT_QS8_KR, panels = (b->n + COOPT_QS8_NR - 1) / COOPT_QS8_NR;
  /* K up to 1,024 at 16 rows, N up to 1,024, on the stack. */
  _Alignas(64) int8_t tile_stack[16384];
  _Alignas(64) int32_t start_stack[1024];
  int8_t *tile = coopt_scratch_get(tile_stack, sizeof tile_stack, groups * 4 * rows_max, 64);
  int32_t *start =
      start_fn ? coopt_scratch_get(start_stack, sizeof start_stack, panels * COOPT_QS8_NR * sizeof *start, 64) : NULL;
  if (tile && (start || !start_fn)) {
    if (start_fn)
      start_fn(packed, start);
    for (size_t r0 = 0; r0 < m; r0 += rows_max) {
      const size_t mr = m - r0 < rows_max ? m - r0 : rows_max, rows = rows_of(mr);
      regroup(a + r0 * a_stride, a_stride, mr, rows, b->k, groups, flip, tile);
      for (size_t p = 0; p < panels; ++p) {
        const coopt_bs_panel P = coopt_bs_panel_of(packed, p);
        panel(b, &P, start ? start + COOPT_QS8_NR * p : NULL, tile, rows, mr, c + r0 * c_stride + COOPT_QS8_NR * p,
              c_stride, dround);
      }
    }
  }
  if (tile)
    coopt_scratch_put(tile, tile_stack);
  if (start)
    coopt_scratch_put(start, start_stack);
}

/* The 1x4 sparse tiles' channel: the step's row, the deltas and values,
 * and the channel's blocks j..end-1 (R->next moves past them). */
typedef struct coopt_sparse_chan {
  const int8_t *x, *values;
  const uint8_t *delta;
  size_t k, j, end;
} coopt_sparse_chan;

static inline coopt_sparse_chan coopt_sparse_chan_take(const coopt_blob *b, const coopt_chan_view *V, coopt_qs8_rows *R,
                                                       size_t ch) {
  coopt_sparse_chan S = {R->x[0], V->values, V->delta, b->k, R->next, R->next + V->nnz[ch]};
  R->next = S.end;
  return S;
}

/* The 2:4 tiles' two channels ch and ch + nc - 1 (the last one alone runs
 * twice): their position nibbles and kept values. */
typedef struct coopt_nm24_pair {
  const uint8_t *pos[2];
  const int8_t *val[2];
} coopt_nm24_pair;

static inline coopt_nm24_pair coopt_nm24_pair_of(const coopt_blob *b, const coopt_chan_view *V, size_t ch, size_t nc) {
  const size_t c1 = ch + nc - 1;
  const int8_t *val = V->values;
  coopt_nm24_pair P = {{V->nm24_pos + ch * b->kp / 4, V->nm24_pos + c1 * b->kp / 4},
                       {val + ch * b->kp / 2, val + c1 * b->kp / 2}};
  return P;
}

/* The 2:4 tiles' prologue: the row's last, partial window zero-padded in
 * the scratch, so every window is one 16-byte load. */
static inline void coopt_nm24_tail_row(const coopt_blob *b, coopt_qs8_rows *R) {
  const size_t full = b->k / COOPT_NM24_WINDOW;
  memset(R->scratch, 0, COOPT_NM24_WINDOW);
  if (full < b->kp / COOPT_NM24_WINDOW)
    memcpy(R->scratch, R->x[0] + full * COOPT_NM24_WINDOW, b->k - full * COOPT_NM24_WINDOW);
}

/* The f32 SpMM (pixels x channels, XNNPACK's scheme): for each pixel
 * block, every channel's nonzeros in order, each delta leading to the next
 * input row.  The tiles hold one channel of `width` pixels: the walk over
 * the values and deltas (which continues from channel to channel), the
 * accumulation and the clamped store; the driver runs the widest block that
 * fits, then the next (`mid`, 0 for none), then single pixels. */
typedef struct coopt_f32_spmm_walk {
  const char *row;     /* the input row the next nonzero reads, offset by the block's first pixel */
  const float *value;  /* the next nonzero */
  const int32_t *step; /* the byte delta after it */
} coopt_f32_spmm_walk;

typedef void (*coopt_f32_spmm_tile_fn)(const coopt_blob *b, float bias, uint32_t count, coopt_f32_spmm_walk *W,
                                       float *o);

static inline float coopt_f32_clamp(const coopt_blob *b, float s) {
  return s < b->fmin ? b->fmin : s > b->fmax ? b->fmax : s;
}

/* One pixel with fused multiply-adds: the vector tiles' last pixels. */
static inline void coopt_f32_spmm_1x1_fma(const coopt_blob *b, float bias, uint32_t count, coopt_f32_spmm_walk *W,
                                          float *o) {
  float s = bias;
  for (uint32_t t = count; t; --t) {
    s = fmaf(*W->value++, *(const float *)W->row, s);
    W->row += *W->step++;
  }
  *o = coopt_f32_clamp(b, s);
}

/* One pixel block through every channel. */
static inline __attribute__((always_inline)) void coopt_f32_spmm_block(const coopt_blob *b, const coopt_chan_view *V,
                                                                       const float *in, float *out, size_t r,
                                                                       const coopt_f32_spmm_tile_fn tile) {
  coopt_f32_spmm_walk W = {(const char *)(in + r) + V->deltas[0], V->values, V->deltas + 1};
  for (size_t ch = 0; ch < b->n; ++ch)
    tile(b, V->fbias[ch], V->nnz[ch], &W, out + ch * b->m_stride + r);
}

static inline __attribute__((always_inline)) void
coopt_f32_spmm_drive(const void *packed, size_t m, const float *in, float *out, const size_t wide,
                     const coopt_f32_spmm_tile_fn wide_tile, const size_t mid, const coopt_f32_spmm_tile_fn mid_tile,
                     const coopt_f32_spmm_tile_fn one) {
  const coopt_blob *b = coopt_blob_of(packed);
  const coopt_chan_view V = coopt_chan_view_of(packed);
  size_t r = 0;
  for (; r + wide <= m; r += wide)
    coopt_f32_spmm_block(b, &V, in, out, r, wide_tile);
  for (; mid && r + mid <= m; r += mid)
    coopt_f32_spmm_block(b, &V, in, out, r, mid_tile);
  for (; r < m; ++r)
    coopt_f32_spmm_block(b, &V, in, out, r, one);
}

/* The tiles of one channel, as the reference computes it. */
static inline void coopt_qs8_dw_one(const coopt_blob *b, const coopt_dw_arrays *D, size_t C, const void *const taps[9],
                                    size_t c, void *o, bool dround) {
  (void)dround;         /* coopt_requant reads the rounding from the blob */
  const int8_t *tap[9]; /* typed copies: no access through the untyped array's type */
  for (size_t t = 0; t < 9; ++t)
    tap[t] = taps[t];
  ((int8_t *)o)[c] = coopt_qs8_dw_channel(tap, D->w, C, c, D->bias[c], D->mult[c], D->shift[c], b);
}

static inline void coopt_f32_dw_one(const coopt_blob *b, const coopt_dw_arrays *D, size_t C, const void *const taps[9],
                                    size_t c, void *o, bool dround) {
  (void)dround;
  const float *tap[9];
  for (size_t t = 0; t < 9; ++t)
    tap[t] = taps[t];
  ((float *)o)[c] = coopt_f32_dw_channel(tap, D->fw, C, c, D->fbias[c], b);
}

/* ---- generic C (ref.c, masked.c): the ground truth ---- */
void coopt_qs8_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride,
                         int32_t *acc, size_t acc_stride);
void coopt_f32_gemm__ref(const void *packed, size_t m, const float *a, size_t a_stride, float *c, size_t c_stride);
void coopt_f32_spmm__ref(const void *packed, size_t m, const float *in, float *out);
void coopt_qs8_spgemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);
void coopt_qs8_bsgemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c, size_t c_stride);
void coopt_qs8_lut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride);
void coopt_qs8_nm24_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                              size_t c_stride);
void coopt_qs8_splut4_gemm__ref(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride);
void coopt_qs8_dw3x3__ref(const void *packed, const int8_t *in, int8_t *out);
void coopt_f32_dw3x3__ref(const void *packed, const float *in, float *out);
void coopt_qs8_masked_decode__ref(const void *packed, size_t p, void *dst);
/* The same without branches on the mask: what runs where no vector decode
 * does. */
void coopt_qs8_masked_decode__scalar(const void *packed, size_t p, void *dst);
/* The dispatching form of the decode (masked.c's driver calls it). */
void coopt_qs8_masked_decode(const void *packed, size_t p, void *dst);

/* ---- x86-64 (arch/x86_64; built unless COOPT_RT_X86_TILES is off) ----
 * A tile whose requantization is vector code exists once per TOSA rounding:
 * SINGLE_ROUND under the plain name, DOUBLE_ROUND as `<family>_dround_...`
 * (x86.h rescale8); the tables pick by the blob's rounding. */
void coopt_qs8_gemm_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_dround_4x8c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_4x16c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_dround_4x16c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                           size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_1x32c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_dround_1x32c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                           size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_f32_gemm_4x8__avx2_fma(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride);
void coopt_f32_spmm_32x1__avx2_fma(const void *packed, size_t m, const float *in, float *out);
void coopt_qs8_lut4_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride);
void coopt_qs8_lut4_gemm_1x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride);
void coopt_qs8_lut4_gemm_4x2c32__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride);
void coopt_qs8_nm24_gemm_1x2c16__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                      size_t c_stride);
void coopt_qs8_spgemm_1x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride);
void coopt_qs8_spgemm_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                  size_t c_stride);
void coopt_qs8_spgemm_dround_8x1c4__avx2(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride);
void coopt_qs8_spgemm_8x1c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride);
void coopt_qs8_spgemm_dround_8x1c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                            size_t c_stride);
void coopt_qs8_gemm_4x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_dround_4x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                              size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_1x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                       size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_dround_1x32c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                              size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_bsgemm_16x8c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride);
void coopt_qs8_bsgemm_dround_16x8c4__avx512vnni(const void *packed, size_t m, const int8_t *a, size_t a_stride,
                                                int8_t *c, size_t c_stride);
void coopt_qs8_bsgemm_8x8c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride);
void coopt_qs8_bsgemm_dround_8x8c4__avxvnni(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                            size_t c_stride);
void coopt_qs8_masked_decode__avx512vbmi2(const void *packed, size_t p, void *dst);
void coopt_qs8_masked_decode__avx2(const void *packed, size_t p, void *dst);
void coopt_qs8_dw3x3_16c__avx2(const void *packed, const int8_t *in, int8_t *out);
void coopt_qs8_dw3x3_dround_16c__avx2(const void *packed, const int8_t *in, int8_t *out);
void coopt_qs8_dw3x3_32c__avx512vnni(const void *packed, const int8_t *in, int8_t *out);
void coopt_qs8_dw3x3_dround_32c__avx512vnni(const void *packed, const int8_t *in, int8_t *out);
void coopt_f32_gemm_8x32__avx512f(const void *packed, size_t m, const float *a, size_t a_stride, float *c,
                                  size_t c_stride);
void coopt_f32_dw3x3_8c__avx2_fma(const void *packed, const float *in, float *out);

/* ---- aarch64 (arch/arm_64; each defined when the target has its feature) ---- */
void coopt_qs8_dw3x3_16c__neon(const void *packed, const int8_t *in, int8_t *out);
void coopt_f32_dw3x3_4c__neon(const void *packed, const float *in, float *out);
void coopt_qs8_gemm_8x8c8__neoni8mm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_4x8c8__neoni8mm(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                    size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_4x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                   size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_qs8_gemm_4x8c4__neon(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                size_t c_stride, int32_t *acc, size_t acc_stride);
void coopt_f32_gemm_4x8__neon(const void *packed, size_t m, const float *a, size_t a_stride, float *c, size_t c_stride);
void coopt_f32_spmm_16x1__neon(const void *packed, size_t m, const float *in, float *out);
void coopt_qs8_masked_decode__neon(const void *packed, size_t p, void *dst);
void coopt_qs8_nm24_gemm_1x2c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride);
void coopt_qs8_lut4_gemm_1x1c16__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                         size_t c_stride);
void coopt_qs8_bsgemm_8x8c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride);
void coopt_qs8_spgemm_1x1c4__neondot(const void *packed, size_t m, const int8_t *a, size_t a_stride, int8_t *c,
                                     size_t c_stride);

#endif
