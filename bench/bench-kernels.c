/*
 * Microkernel benchmark (not a test): coopt's kernels against XNNPACK (Debian
 * libxnnpack-dev) and against each other, 1 thread, on the bundled models'
 * layer shapes and large GEMV shapes.  Every line is a ratio measured in
 * this run; docs/Performance.md records them with the command.
 *
 * usage: bench-kernels [repeats]
 */
#define _POSIX_C_SOURCE 200809L
#include "../runtime/src/tiles.h"
#include "bench.h"
#include "coopt_rt/kernels.h"
#include "coopt_rt/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xnnpack.h>

static int repeats = 30;

/* Median seconds per call of fn(ctx), repeated until each sample takes >= 2 ms. */
typedef void (*bench_fn)(void *ctx);
static double measure(bench_fn fn, void *ctx) {
  fn(ctx);
  int inner = 1;
  for (;;) {
    double t0 = now();
    for (int i = 0; i < inner; ++i)
      fn(ctx);
    if (now() - t0 > 2e-3 || inner > (1 << 20))
      break;
    inner *= 2;
  }
  double *s = malloc(sizeof(double) * (size_t)repeats);
  for (int r = 0; r < repeats; ++r) {
    double t0 = now();
    for (int i = 0; i < inner; ++i)
      fn(ctx);
    s[r] = (now() - t0) / inner;
  }
  for (int i = 1; i < repeats; ++i)
    for (int j = i; j > 0 && s[j] < s[j - 1]; --j) {
      double t = s[j];
      s[j] = s[j - 1], s[j - 1] = t;
    }
  double med = s[repeats / 2];
  free(s);
  return med;
}

typedef struct ctx {
  size_t m, n, k;
  const void *packed;
  const int8_t *a8;
  int8_t *c8;
  const float *af;
  float *cf;
  xnn_operator_t op;
} ctx;

static void run_qs8(void *p) {
  ctx *c = p;
  coopt_rt_qs8_gemm(c->packed, c->m, c->a8, c->k, c->c8, c->n);
}
static void run_spqs8(void *p) {
  ctx *c = p;
  coopt_rt_qs8_spgemm(c->packed, c->m, c->a8, c->k, c->c8, c->n);
}
static void run_nm24(void *p) {
  const ctx *c = p;
  coopt_rt_qs8_nm24_gemm(c->packed, c->m, c->a8, c->k, c->c8, c->n);
}

static void run_lut4(void *p) {
  ctx *c = p;
  coopt_rt_qs8_lut4_gemm(c->packed, c->m, c->a8, c->k, c->c8, c->n);
}
static void run_f32(void *p) {
  ctx *c = p;
  coopt_rt_f32_gemm(c->packed, c->m, c->af, c->k, c->cf, c->n);
}
static void run_spmm(void *p) {
  ctx *c = p;
  coopt_rt_f32_spmm(c->packed, c->m, c->af, c->cf);
}
static void run_xnn(void *p) {
  ctx *c = p;
  xnn_run_operator(c->op, NULL);
}

static coopt_rt_requant requant(size_t k, int32_t *mult, int32_t *shift) {
  coopt_quantize_multiplier(1.0 / (double)(k * 30), mult, shift);
  coopt_rt_requant rq = {mult, shift, false, false, 0, -128, 127};
  return rq;
}

static void *pack_qs8(size_t n, size_t k, const int8_t *w, int32_t *mult, int32_t *shift) {
  coopt_rt_requant rq = requant(k, mult, shift);
  size_t size = coopt_rt_qs8_gemm_packed_size(n, k);
  void *blob = aligned(size);
  coopt_rt_error err;
  if (coopt_rt_pack_qs8_gemm(n, k, w, NULL, 3, &rq, blob, size, &err))
    fprintf(stderr, "pack: %s\n", err.message), exit(1);
  return blob;
}

static void bench_dense(size_t m, size_t n, size_t k, const char *what) {
  int8_t *w = aligned(n * k), *a = aligned(m * k), *c = aligned(m * n);
  float *wf = aligned(n * k * 4), *af = aligned(m * k * 4), *cf = aligned(m * n * 4);
  for (size_t i = 0; i < n * k; ++i)
    w[i] = (int8_t)(rnd() % 255 - 127), wf[i] = (float)w[i] / 127.0f;
  for (size_t i = 0; i < m * k; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128), af[i] = (float)a[i] / 128.0f;
  int32_t mult, shift;
  void *qblob = pack_qs8(n, k, w, &mult, &shift);
  ctx cx = {m, n, k, qblob, a, c, af, cf, NULL};
  double t_coopt8 = measure(run_qs8, &cx);
  xnn_operator_t op = NULL;
  double t_xnn8 = NAN, t_xnnf = NAN;
  if (xnn_create_fully_connected_nc_qs8(k, n, k, n, 3, 0.01f, 0.01f, w, NULL, 0, 0.05f, -128, 127, 0, &op) ==
          xnn_status_success &&
      xnn_setup_fully_connected_nc_qs8(op, m, a, c, NULL) == xnn_status_success) {
    cx.op = op;
    t_xnn8 = measure(run_xnn, &cx);
  }
  if (op)
    xnn_delete_operator(op), op = NULL;
  size_t fsize = coopt_rt_f32_gemm_packed_size(n, k);
  void *fblob = aligned(fsize);
  coopt_rt_error err;
  coopt_rt_pack_f32_gemm(n, k, wf, NULL, -INFINITY, INFINITY, fblob, fsize, &err);
  cx.packed = fblob;
  double t_cooptf = measure(run_f32, &cx);
  if (xnn_create_fully_connected_nc_f32(k, n, k, n, wf, NULL, -INFINITY, INFINITY, 0, &op) == xnn_status_success &&
      xnn_setup_fully_connected_nc_f32(op, m, af, cf, NULL) == xnn_status_success) {
    cx.op = op;
    t_xnnf = measure(run_xnn, &cx);
  }
  if (op)
    xnn_delete_operator(op);
  double macs = (double)m * (double)n * (double)k;
  printf("| %-26s | %4zu x %4zu x %4zu | %6.1f | %6.1f | **%.2fx** | %6.1f | %6.1f | **%.2fx** |\n", what, m, n, k,
         macs / t_coopt8 * 1e-9, macs / t_xnn8 * 1e-9, t_xnn8 / t_coopt8, macs / t_cooptf * 1e-9, macs / t_xnnf * 1e-9,
         t_xnnf / t_cooptf);
  free(w), free(a), free(c), free(wf), free(af), free(cf), free(qblob), free(fblob);
}

/* Sparse f32 (SpMM, CHW activations) at several sparsities against coopt's
 * dense f32 GEMM on the same layer (equal MACs before pruning). */
static void bench_sparse_f32(size_t m, size_t n, size_t k, const char *what) {
  float *w = aligned(n * k * 4), *in = aligned(m * k * 4), *out = aligned(m * n * 4);
  for (size_t i = 0; i < m * k; ++i)
    in[i] = (float)(rnd() % 1000) / 1000.0f;
  for (size_t i = 0; i < n * k; ++i)
    w[i] = (float)(rnd() % 1000) / 1000.0f - 0.5f;
  size_t fsize = coopt_rt_f32_gemm_packed_size(n, k);
  void *fblob = aligned(fsize);
  coopt_rt_error err;
  coopt_rt_pack_f32_gemm(n, k, w, NULL, -INFINITY, INFINITY, fblob, fsize, &err);
  ctx cx = {m, n, k, fblob, NULL, NULL, in, out, NULL};
  double t_dense = measure(run_f32, &cx);
  printf("| %-26s | %4zu x %4zu x %4zu |", what, m, n, k);
  static const int percents[] = {50, 75, 90};
  for (int s = 0; s < 3; ++s) {
    float *ws = aligned(n * k * 4);
    for (size_t i = 0; i < n * k; ++i)
      ws[i] = (int)(rnd() % 100) < percents[s] ? 0.0f : w[i];
    size_t size = coopt_rt_f32_spmm_packed_size(n, k, ws);
    void *blob = aligned(size);
    if (coopt_rt_pack_f32_spmm(n, k, ws, NULL, -INFINITY, INFINITY, m, blob, size, &err))
      fprintf(stderr, "pack: %s\n", err.message), exit(1);
    cx.packed = blob;
    double t = measure(run_spmm, &cx);
    printf(" **%.2fx** |", t_dense / t);
    free(blob), free(ws);
  }
  printf("\n");
  free(w), free(in), free(out), free(fblob);
}

/* Sparse int8 1x4 at 75% zero blocks, 2:4 sparse, and 4-bit lookup-table
 * weights, each against coopt's dense int8 GEMM on the same shape. */
static void bench_int8_forms(size_t m, size_t n, size_t k, const char *what) {
  int8_t *w = aligned(n * k), *ws = aligned(n * k), *w24 = aligned(n * k), *a = aligned(m * k), *c = aligned(m * n);
  uint8_t *idx = aligned(n * k);
  int8_t *book = aligned(16 * n);
  for (size_t ch = 0; ch < n; ++ch)
    for (int e = 0; e < 16; ++e)
      book[16 * ch + e] = (int8_t)(e * 16 - 120);
  for (size_t i = 0; i < n * k; ++i) {
    idx[i] = (uint8_t)(rnd() % 16);
    w[i] = book[16 * (i / k) + idx[i]];
  }
  for (size_t i = 0; i < n * k; i += 4) {
    bool keep = rnd() % 4 == 0;
    for (size_t t = i; t < i + 4 && t < n * k; ++t)
      ws[t] = keep ? w[t] : 0;
  }
  /* 2:4: the first two of every four kept (their values are nonzero). */
  for (size_t i = 0; i < n * k; ++i)
    w24[i] = i % 4 < 2 ? (w[i] ? w[i] : 1) : 0;
  for (size_t i = 0; i < m * k; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  int32_t mult, shift;
  coopt_rt_requant rq = requant(k, &mult, &shift);
  coopt_rt_error err;
  void *dense = pack_qs8(n, k, w, &mult, &shift);
  size_t ssize = coopt_rt_qs8_spgemm_packed_size(n, k, ws), lsize = coopt_rt_qs8_lut4_gemm_packed_size(n, k);
  size_t nsize = coopt_rt_qs8_nm24_gemm_packed_size(n, k);
  void *sparse = aligned(ssize), *lut = aligned(lsize), *nm24 = aligned(nsize);
  if (coopt_rt_pack_qs8_spgemm(n, k, ws, NULL, 3, &rq, sparse, ssize, &err) ||
      coopt_rt_pack_qs8_lut4_gemm(n, k, idx, book, 16, NULL, 3, &rq, lut, lsize, &err) ||
      coopt_rt_pack_qs8_nm24_gemm(n, k, w24, NULL, 3, &rq, nm24, nsize, &err))
    fprintf(stderr, "pack: %s\n", err.message), exit(1);
  ctx cx = {m, n, k, dense, a, c, NULL, NULL, NULL};
  double t_dense = measure(run_qs8, &cx);
  cx.packed = sparse;
  double t_sparse = measure(run_spqs8, &cx);
  cx.packed = lut;
  double t_lut = measure(run_lut4, &cx);
  cx.packed = nm24;
  double t_nm24 = measure(run_nm24, &cx);
  printf("| %-26s | %4zu x %4zu x %4zu | %6.1f | **%.2fx** | **%.2fx** | **%.2fx** | %zu / %zu / %zu / %zu |\n", what,
         m, n, k, (double)m * (double)n * (double)k / t_dense * 1e-9, t_dense / t_sparse, t_dense / t_nm24,
         t_dense / t_lut, coopt_rt_qs8_gemm_packed_size(n, k), ssize, nsize, lsize);
  free(w), free(ws), free(w24), free(a), free(c), free(idx), free(book), free(dense), free(sparse), free(lut),
      free(nm24);
}

static void run_bsqs8(void *p) {
  ctx *c = p;
  coopt_rt_qs8_bsgemm(c->packed, c->m, c->a8, c->k, c->c8, c->n);
}

/* Block-sparse 8x4 (a panel's 8 channels x 4 K, the dense tile's step)
 * with 0%, 50% and 75% of the blocks zero, each against coopt's dense
 * int8 GEMM on the same weights (ratio = dense time / block-sparse time:
 * above 1 is faster), and its bytes against the dense blob's. */
static void bench_block(size_t m, size_t n, size_t k, const char *what) {
  static const double zero[3] = {0, 0.5, 0.75};
  int8_t *w = aligned(n * k), *a = aligned(m * k), *c = aligned(m * n);
  for (size_t i = 0; i < m * k; ++i)
    a[i] = (int8_t)(rnd() % 256 - 128);
  int32_t mult, shift;
  coopt_rt_requant rq = requant(k, &mult, &shift);
  coopt_rt_error err;
  printf("| %-26s | %4zu x %4zu x %4zu |", what, m, n, k);
  for (int z = 0; z < 3; ++z) {
    for (size_t p = 0; p < n; p += 8)
      for (size_t g = 0; g < k; g += 4) {
        bool zero_block = (double)(rnd() % 1000) < 1000.0 * zero[z];
        for (size_t ch = p; ch < p + 8 && ch < n; ++ch)
          for (size_t t = g; t < g + 4 && t < k; ++t)
            w[ch * k + t] = zero_block ? 0 : (int8_t)(rnd() % 255 - 127);
      }
    void *dense = pack_qs8(n, k, w, &mult, &shift);
    size_t bsize = coopt_rt_qs8_bsgemm_packed_size(n, k, w);
    void *block = aligned(bsize);
    if (coopt_rt_pack_qs8_bsgemm(n, k, w, NULL, 3, &rq, block, bsize, &err))
      fprintf(stderr, "pack: %s\n", err.message), exit(1);
    ctx cx = {m, n, k, dense, a, c, NULL, NULL, NULL};
    double t_dense = measure(run_qs8, &cx);
    cx.packed = block;
    double t_block = measure(run_bsqs8, &cx);
    printf(" **%.2fx** (%.2f) |", t_dense / t_block, (double)bsize / (double)coopt_rt_qs8_gemm_packed_size(n, k));
    free(dense), free(block);
  }
  printf("\n");
  free(w), free(a), free(c);
}

typedef struct dw_ctx {
  const void *packed;
  const int8_t *in8;
  int8_t *out8;
  const float *inf;
  float *outf;
} dw_ctx;
static void run_dw8(void *p) {
  dw_ctx *c = p;
  coopt_rt_qs8_dw3x3(c->packed, c->in8, c->out8);
}
static void run_dw8_ref(void *p) {
  dw_ctx *c = p;
  coopt_qs8_dw3x3__ref(c->packed, c->in8, c->out8);
}
static void run_dwf(void *p) {
  dw_ctx *c = p;
  coopt_rt_f32_dw3x3(c->packed, c->inf, c->outf);
}
static void run_dwf_ref(void *p) {
  dw_ctx *c = p;
  coopt_f32_dw3x3__ref(c->packed, c->inf, c->outf);
}

/* Depthwise 3x3: the vectorized kernels against the generic reference. */
static void bench_dw(size_t h, size_t c, size_t stride, const char *what) {
  coopt_rt_dw_shape s = {h, h, c, stride, 1, 1, 1, 1};
  size_t oh = coopt_rt_dw_out_h(&s), ow = coopt_rt_dw_out_w(&s);
  int8_t *in = aligned(h * h * c), *w = aligned(9 * c), *out = aligned(oh * ow * c);
  float *inf = aligned(h * h * c * 4), *wf = aligned(36 * c), *outf = aligned(oh * ow * c * 4);
  for (size_t i = 0; i < h * h * c; ++i)
    in[i] = (int8_t)(rnd() % 256 - 128), inf[i] = (float)in[i] / 128.0f;
  for (size_t i = 0; i < 9 * c; ++i)
    w[i] = (int8_t)(rnd() % 255 - 127), wf[i] = (float)w[i] / 127.0f;
  int32_t mult, shift;
  coopt_rt_requant rq = requant(9, &mult, &shift);
  coopt_rt_error err;
  size_t size = coopt_rt_qs8_dw3x3_packed_size(c), fsize = coopt_rt_f32_dw3x3_packed_size(c);
  void *blob = aligned(size), *fblob = aligned(fsize);
  coopt_rt_pack_qs8_dw3x3(&s, w, NULL, 3, &rq, blob, size, &err);
  coopt_rt_pack_f32_dw3x3(&s, wf, NULL, 0.0f, 6.0f, fblob, fsize, &err);
  dw_ctx cx = {blob, in, out, inf, outf};
  double t8 = measure(run_dw8, &cx), t8r = measure(run_dw8_ref, &cx);
  cx.packed = fblob;
  double tf = measure(run_dwf, &cx), tfr = measure(run_dwf_ref, &cx);
  double macs = (double)oh * (double)ow * (double)c * 9;
  printf("| %-26s | %3zux%3zux%4zu s%zu | %6.2f | **%.1fx** | %6.2f | **%.1fx** |\n", what, h, h, c, stride,
         macs / t8 * 1e-9, t8r / t8, macs / tf * 1e-9, tfr / tf);
  free(in), free(w), free(out), free(inf), free(wf), free(outf), free(blob), free(fblob);
}

int main(int argc, char **argv) {
  if (argc > 1)
    repeats = atoi(argv[1]) > 2 ? atoi(argv[1]) : 3;
  if (xnn_initialize(NULL) != xnn_status_success) {
    fprintf(stderr, "bench-kernels: XNNPACK failed to initialise\n");
    return 1;
  }
  printf("coopt kernels: %s; XNNPACK from Debian; 1 thread; median of %d samples\n\n", coopt_rt_isa(), repeats);
  printf("Dense, against XNNPACK fully-connected (GMAC/s; ratio = XNNPACK time / coopt time)\n\n");
  printf("| layer | M x N x K | coopt int8 | XNNPACK qs8 | int8 ratio | coopt f32 | XNNPACK f32 | f32 ratio |\n");
  printf("|---|---|---|---|---|---|---|---|\n");
  bench_dense(196, 64, 64, "DS-CNN pointwise 14x14");
  bench_dense(49, 64, 64, "DS-CNN pointwise 7x7");
  bench_dense(196, 64, 32, "MobileNet pw 14x14 32->64");
  bench_dense(16, 256, 256, "MobileNet pw 4x4 256");
  bench_dense(4, 512, 512, "MobileNet pw 2x2 512");
  bench_dense(1, 10, 512, "MobileNet fc");
  bench_dense(1, 10, 64, "DS-CNN fc");
  bench_dense(1, 4096, 4096, "GEMV 4096");
  bench_dense(64, 1024, 1024, "GEMM 64x1024x1024");
  printf("\nSparse f32 (SpMM) against coopt dense f32, time ratio dense / sparse at 50%% / 75%% / 90%% zeros\n\n");
  printf("| layer | M x N x K | 50%% | 75%% | 90%% |\n|---|---|---|---|---|\n");
  bench_sparse_f32(196, 64, 64, "DS-CNN pointwise 14x14");
  bench_sparse_f32(196, 64, 32, "MobileNet pw 14x14 32->64");
  bench_sparse_f32(64, 256, 256, "MobileNet pw 8x8 256");
  bench_sparse_f32(256, 512, 512, "GEMM 256x512x512");
  printf("\nint8 forms against coopt dense int8 (time ratios; sparse 1x4 at 75%% zero blocks; 2:4; 4-bit LUT, 16 "
         "entries)\n\n");
  printf("| layer | M x N x K | dense GMAC/s | sparse 1x4 | 2:4 | LUT-4bit | bytes dense / sparse / 2:4 / LUT |\n");
  printf("|---|---|---|---|---|---|---|\n");
  bench_int8_forms(196, 64, 64, "DS-CNN pointwise 14x14");
  bench_int8_forms(16, 256, 256, "MobileNet pw 4x4 256");
  bench_int8_forms(1, 4096, 4096, "GEMV 4096");
  bench_int8_forms(1, 2048, 8192, "GEMV 2048x8192");
  bench_int8_forms(1, 1024, 1024, "GEMV 1024 (cache-resident)");
  bench_int8_forms(1, 8192, 8192, "GEMV 8192 (64 MB, DRAM)");
  printf("\nBlock-sparse int8 8x4 against coopt dense int8 on the same weights (time ratio dense / block-sparse; "
         "in brackets the bytes, block-sparse / dense)\n\n");
  printf("| layer | M x N x K | 0%% zero blocks | 50%% | 75%% |\n|---|---|---|---|---|\n");
  bench_block(196, 64, 64, "DS-CNN pointwise 14x14");
  bench_block(49, 64, 64, "DS-CNN pointwise 7x7");
  bench_block(196, 64, 32, "MobileNet pw 14x14 32->64");
  bench_block(16, 256, 256, "MobileNet pw 4x4 256");
  bench_block(4, 512, 512, "MobileNet pw 2x2 512");
  bench_block(64, 1024, 1024, "GEMM 64x1024x1024");
  bench_block(256, 512, 512, "GEMM 256x512x512");
  printf("\nDepthwise 3x3 (pad 1): vectorized kernels against the generic C reference\n\n");
  printf("| layer | H x W x C, stride | int8 GMAC/s | vs ref | f32 GMAC/s | vs ref |\n|---|---|---|---|---|---|\n");
  bench_dw(28, 64, 2, "DS-CNN dw 28x28 s2");
  bench_dw(7, 64, 1, "DS-CNN dw 7x7");
  bench_dw(14, 64, 1, "MobileNet dw 14x14x64");
  bench_dw(4, 256, 1, "MobileNet dw 4x4x256");
  xnn_deinitialize();
  return 0;
}
