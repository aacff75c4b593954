/* The latency cost model (Analysis/KernelCost.h) and the choice built on
 * it (Analysis/KernelChoice.h): the model's shape (linear in M within a
 * regime, the regime switch at M = 4, the aarch64 roofline, kept MACs),
 * and the choice per objective against the predictions it is made from. */
#include "Analysis/KernelCost.h"
#include "Analysis/KernelChoice.h"
#include "UnitTest.h"

#include <stdint.h>
#include <stdlib.h>

static uint64_t rs = 7;
static uint32_t rnd(void) {
  rs = rs * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rs >> 33);
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1, fabs(b)); }

static void test_model_shape(void) {
  for (int cpu = 0; cpu < COOPT_CPU_COUNT; ++cpu)
    for (int kind = 0; kind < COOPT_KERNEL_KINDS; ++kind) {
      /* Linear in M within each regime (bytes 0: no roofline). */
      double c4 = cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 4, 256, 256, 1, 0),
             c16 = cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 16, 256, 256, 1, 0),
             c28 = cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 28, 256, 256, 1, 0);
      CHECK(near(c28 - c16, c16 - c4));
      double c1 = cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 1, 256, 256, 1, 0),
             c2 = cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 2, 256, 256, 1, 0),
             c3 = cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 3, 256, 256, 1, 0);
      CHECK(near(c3 - c2, c2 - c1));
      /* Positive, finite, and more rows never cost less. */
      CHECK(c1 > 0 && isfinite(c1) && c2 >= c1 && c16 >= c4);
      /* Doing a quarter of the MACs never costs more. */
      CHECK(cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 64, 256, 256, 0.25, 0) <=
            cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, 64, 256, 256, 1, 0));
    }
  /* aarch64: a call streams at least its packed bytes (8 bytes a cycle on
   * N1); x86 has no roofline (its measured table includes the caches). */
  double big = 1e9;
  CHECK(near(cooptKernelCost(COOPT_CPU_NEOVERSE_N1, COOPT_KERNEL_DENSE, 1, 16, 16, 1, (size_t)big), big / 8));
  CHECK(near(cooptKernelCost(COOPT_CPU_NEOVERSE_V2, COOPT_KERNEL_DENSE, 1, 16, 16, 1, (size_t)big), big / 16));
  CHECK(cooptKernelCost(COOPT_CPU_X86_AVX512, COOPT_KERNEL_DENSE, 1, 16, 16, 1, (size_t)big) < 1e6);
  /* The masked forms decode once per call: their extra cost over dense
   * does not grow with M on aarch64, where they share dense's tile. */
  for (int cpu = COOPT_CPU_NEOVERSE_N1; cpu <= COOPT_CPU_NEOVERSE_V2; ++cpu) {
    double d16 = cooptKernelCost((coopt_cost_cpu)cpu, COOPT_KERNEL_MASKED, 16, 64, 64, 1, 0) -
                 cooptKernelCost((coopt_cost_cpu)cpu, COOPT_KERNEL_DENSE, 16, 64, 64, 1, 0),
           d64 = cooptKernelCost((coopt_cost_cpu)cpu, COOPT_KERNEL_MASKED, 64, 64, 64, 1, 0) -
                 cooptKernelCost((coopt_cost_cpu)cpu, COOPT_KERNEL_DENSE, 64, 64, 64, 1, 0);
    CHECK(d16 > 0 && near(d16, d64));
  }
  /* Everywhere, a masked call (a decode, then the dense tile) costs at
   * least the dense one, tiny layers included. */
  for (int cpu = 0; cpu < COOPT_CPU_COUNT; ++cpu)
    for (size_t m = 1; m <= 64; m *= 2)
      for (size_t nk = 2; nk <= 512; nk *= 4)
        for (int kind = COOPT_KERNEL_MASKED; kind <= COOPT_KERNEL_MASKED_LUT; ++kind)
          CHECK(cooptKernelCost((coopt_cost_cpu)cpu, (coopt_kernel_kind)kind, m, nk, nk, 1, 0) >=
                cooptKernelCost((coopt_cost_cpu)cpu, COOPT_KERNEL_DENSE, m, nk, nk, 1, 0));
  CHECK(isinf(cooptKernelCost(COOPT_CPU_COUNT, COOPT_KERNEL_DENSE, 1, 1, 1, 1, 0)));
  CHECK_STR(cooptCostCpuName(COOPT_CPU_X86_AVX512), "avx512");
  CHECK_STR(cooptCostCpuName(COOPT_CPU_NEOVERSE_N1), "neoverse-n1");
  CHECK_STR(cooptCostUnit(COOPT_CPU_X86_AVX2), "ns");
  CHECK_STR(cooptCostUnit(COOPT_CPU_NEOVERSE_V2), "cycles");
  CHECK(cooptCostCpuIsAarch64(COOPT_CPU_NEOVERSE_V2) && !cooptCostCpuIsAarch64(COOPT_CPU_X86_GENERIC));
  coopt_cost_cpu host = cooptCostCpuOfHost();
  CHECK(host <= COOPT_CPU_X86_AVX512);
}

/* 256 x 256 int8 weights with ~50% unstructured zeros and <= 16 values
 * per channel (every form admits them). */
static int8_t *half_zero_weights(size_t n, size_t k) {
  int8_t *w = malloc(n * k);
  for (size_t i = 0; i < n * k; ++i)
    w[i] = rnd() % 2 ? (int8_t)(8 * (int)(1 + rnd() % 15) - 64) : 0;
  return w;
}

/* The forms latency and balanced weigh: every admitted one, but the
 * block-sparse form only from COOPT_KERNEL_BLOCK_MIN_ZERO zero blocks. */
static bool weighed(const coopt_int8_weights *v, int kind) {
  return v->admitted[kind] && (kind != COOPT_KERNEL_BLOCK || v->zero_block8_fraction >= COOPT_KERNEL_BLOCK_MIN_ZERO);
}

/* The choice is what its definition says, computed here from the
 * predictions directly. */
static void test_choice(void) {
  const size_t n = 256, k = 256;
  int8_t *w = half_zero_weights(n, k);
  coopt_int8_weights v;
  cooptAnalyzeInt8Weights(w, n, k, &v);
  for (int kind = 0; kind < COOPT_KERNEL_KINDS; ++kind)
    CHECK(v.admitted[kind]);
  static const size_t ms[] = {1, 3, 4, 16, 196, 4096};
  for (int cpu = 0; cpu < COOPT_CPU_COUNT; ++cpu)
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; ++i) {
      coopt_kernel_policy p = cooptDefaultKernelPolicy();
      p.cpu = (coopt_cost_cpu)cpu;
      double c[COOPT_KERNEL_KINDS], fastest = INFINITY, got;
      for (int kind = 0; kind < COOPT_KERNEL_KINDS; ++kind)
        if ((c[kind] = cooptPredictKernel(p.cpu, &v, (coopt_kernel_kind)kind, ms[i])) < fastest && weighed(&v, kind))
          fastest = c[kind];
      p.objective = COOPT_KERNEL_LATENCY;
      coopt_kernel_kind lat = cooptChooseKernel(&p, &v, ms[i], &got);
      CHECK(c[lat] == fastest && got == fastest);
      p.objective = COOPT_KERNEL_BALANCED;
      coopt_kernel_kind bal = cooptChooseKernel(&p, &v, ms[i], &got);
      CHECK(c[bal] <= fastest * (1 + COOPT_KERNEL_BALANCED_SLACK) && got == c[bal]);
      for (int kind = 0; kind < COOPT_KERNEL_KINDS; ++kind)
        if (weighed(&v, kind) && c[kind] <= fastest * (1 + COOPT_KERNEL_BALANCED_SLACK))
          CHECK(v.sizes[bal] <= v.sizes[kind]);
      p.objective = COOPT_KERNEL_SIZE;
      coopt_kernel_kind size = cooptChooseKernel(&p, &v, ms[i], NULL);
      for (int kind = 0; kind < COOPT_KERNEL_KINDS; ++kind)
        CHECK(v.sizes[size] <= v.sizes[kind]);
      /* lut=off leaves the lookup-table forms out of latency and balanced. */
      p.lut = false;
      p.objective = COOPT_KERNEL_BALANCED;
      bal = cooptChooseKernel(&p, &v, ms[i], NULL);
      CHECK(bal != COOPT_KERNEL_LUT && bal != COOPT_KERNEL_SPARSE_LUT && bal != COOPT_KERNEL_MASKED_LUT);
    }
  /* On AVX-512 the masked decode is paid once per call: balanced takes
   * the masked form for many rows and dense for one. */
  coopt_kernel_policy p = cooptDefaultKernelPolicy();
  CHECK_EQ_INT(cooptChooseKernel(&p, &v, 1, NULL), COOPT_KERNEL_DENSE);
  coopt_kernel_kind many = cooptChooseKernel(&p, &v, 4096, NULL);
  CHECK(many == COOPT_KERNEL_MASKED || many == COOPT_KERNEL_MASKED_LUT);
  /* sparse-threshold below the zero-block fraction takes sparse whatever
   * the model says; force takes what is asked. */
  p.sparse_threshold = 0;
  CHECK_EQ_INT(cooptChooseKernel(&p, &v, 1, NULL), COOPT_KERNEL_SPARSE);
  p.sparse_threshold = 1;
  p.forced = true, p.force = COOPT_KERNEL_LUT;
  double got;
  CHECK_EQ_INT(cooptChooseKernel(&p, &v, 1, &got), COOPT_KERNEL_LUT);
  CHECK(got == cooptPredictKernel(p.cpu, &v, COOPT_KERNEL_LUT, 1));
  cooptInt8WeightsFree(&v);
  free(w);
}

/* balanced over several layers: the total predicted time within the
 * slack of the fastest total, and no layer can move to a smaller form
 * without breaking it or paying time for less than the minimum saving
 * (the greedy stops only there). */
static void test_balanced_layers(void) {
  static const size_t shapes[][3] = {{196, 64, 64}, {49, 64, 64}, {16, 256, 256}, {4, 512, 512}, {1, 128, 512}};
  enum { L = sizeof shapes / sizeof shapes[0] };
  coopt_int8_weights v[L];
  const coopt_int8_weights *vp[L];
  size_t m[L];
  int8_t *w[L];
  for (size_t i = 0; i < L; ++i) {
    m[i] = shapes[i][0];
    w[i] = half_zero_weights(shapes[i][1], shapes[i][2]);
    cooptAnalyzeInt8Weights(w[i], shapes[i][1], shapes[i][2], &v[i]);
    vp[i] = &v[i];
  }
  for (int cpu = 0; cpu < COOPT_CPU_COUNT; ++cpu) {
    coopt_kernel_policy p = cooptDefaultKernelPolicy();
    p.cpu = (coopt_cost_cpu)cpu;
    coopt_kernel_kind kinds[L];
    double costs[L], fastest = 0, total = 0;
    cooptChooseKernels(&p, L, vp, m, kinds, costs);
    for (size_t i = 0; i < L; ++i) {
      double f = INFINITY;
      for (int k = 0; k < COOPT_KERNEL_KINDS; ++k)
        if (weighed(&v[i], k))
          f = fmin(f, cooptPredictKernel(p.cpu, &v[i], (coopt_kernel_kind)k, m[i]));
      fastest += f;
      total += costs[i];
      CHECK(costs[i] == cooptPredictKernel(p.cpu, &v[i], kinds[i], m[i]));
    }
    CHECK(total <= fastest * (1 + COOPT_KERNEL_BALANCED_SLACK) * (1 + 1e-12));
    for (size_t i = 0; i < L; ++i)
      for (int k = 0; k < COOPT_KERNEL_KINDS; ++k)
        if (weighed(&v[i], k) && v[i].sizes[k] < v[i].sizes[kinds[i]]) {
          const double dc = cooptPredictKernel(p.cpu, &v[i], (coopt_kernel_kind)k, m[i]) - costs[i];
          const double db = (double)(v[i].sizes[kinds[i]] - v[i].sizes[k]);
          CHECK(total + dc > fastest * (1 + COOPT_KERNEL_BALANCED_SLACK) ||
                (dc > 0 && db < COOPT_KERNEL_BALANCED_MIN_SAVING * (double)v[i].sizes[kinds[i]]));
        }
    /* Deterministic. */
    coopt_kernel_kind again[L];
    cooptChooseKernels(&p, L, vp, m, again, NULL);
    CHECK(memcmp(kinds, again, sizeof kinds) == 0);
  }
  for (size_t i = 0; i < L; ++i) {
    cooptInt8WeightsFree(&v[i]);
    free(w[i]);
  }
}

/* Weights whose 8x4 blocks (a panel's 8 channels x 4 K) are zero with
 * probability `zero`, the rest random int8 (too many values for the
 * lookup-table forms). */
static int8_t *block_zero_weights(size_t n, size_t k, double zero) {
  int8_t *w = malloc(n * k);
  for (size_t p = 0; p < n; p += 8)
    for (size_t g = 0; g < k; g += 4) {
      bool z = (double)(rnd() % 1000) < 1000.0 * zero;
      for (size_t c = p; c < p + 8; ++c)
        for (size_t t = g; t < g + 4; ++t)
          w[c * k + t] = z ? 0 : (int8_t)(1 + rnd() % 127);
    }
  return w;
}

/* The block-sparse form: half the blocks zero, it does half the MACs, is
 * within 2% of the smallest form (the masked one with its mask a bit per
 * 1x4 block, a byte per 8x4 block where the block-sparse form pays a byte
 * per kept block and int32 shifts), and latency takes it at many rows on
 * the CPUs with a tile for it; with few zero blocks latency and balanced
 * never weigh it, whatever the model predicts; force takes it on any
 * weights. */
static void test_block_choice(void) {
  const size_t n = 256, k = 256;
  int8_t *w = block_zero_weights(n, k, 0.5), *few = block_zero_weights(n, k, 0.05);
  coopt_int8_weights v, f;
  cooptAnalyzeInt8Weights(w, n, k, &v);
  cooptAnalyzeInt8Weights(few, n, k, &f);
  CHECK(v.zero_block8_fraction > 0.45 && v.zero_block8_fraction < 0.55);
  CHECK(cooptKernelKept(&v, COOPT_KERNEL_BLOCK) == 1 - v.zero_block8_fraction);
  CHECK(cooptKernelKept(&v, COOPT_KERNEL_MASKED) == 1);
  CHECK(f.zero_block8_fraction < COOPT_KERNEL_BLOCK_MIN_ZERO);
  coopt_kernel_policy p = cooptDefaultKernelPolicy();
  p.objective = COOPT_KERNEL_SIZE;
  CHECK_EQ_INT(cooptChooseKernel(&p, &v, 196, NULL), COOPT_KERNEL_MASKED);
  CHECK(v.sizes[COOPT_KERNEL_MASKED] < v.sizes[COOPT_KERNEL_BLOCK]);
  CHECK(v.sizes[COOPT_KERNEL_BLOCK] < 1.02 * v.sizes[COOPT_KERNEL_MASKED]);
  for (int kind = 0; kind < COOPT_KERNEL_KINDS; ++kind)
    CHECK(kind == COOPT_KERNEL_MASKED || !v.admitted[kind] || v.sizes[kind] >= v.sizes[COOPT_KERNEL_BLOCK]);
  p.objective = COOPT_KERNEL_LATENCY;
  static const coopt_cost_cpu tiled[] = {COOPT_CPU_X86_AVXVNNI, COOPT_CPU_X86_AVX512, COOPT_CPU_NEOVERSE_N1};
  for (size_t i = 0; i < sizeof tiled / sizeof tiled[0]; ++i) {
    p.cpu = tiled[i];
    CHECK_EQ_INT(cooptChooseKernel(&p, &v, 196, NULL), COOPT_KERNEL_BLOCK);
  }
  static const size_t ms[] = {1, 4, 196, 4096};
  for (int cpu = 0; cpu < COOPT_CPU_COUNT; ++cpu)
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; ++i) {
      p.cpu = (coopt_cost_cpu)cpu;
      p.objective = COOPT_KERNEL_LATENCY;
      CHECK(cooptChooseKernel(&p, &f, ms[i], NULL) != COOPT_KERNEL_BLOCK);
      p.objective = COOPT_KERNEL_BALANCED;
      CHECK(cooptChooseKernel(&p, &f, ms[i], NULL) != COOPT_KERNEL_BLOCK);
    }
  p = cooptDefaultKernelPolicy();
  p.forced = true, p.force = COOPT_KERNEL_BLOCK;
  CHECK_EQ_INT(cooptChooseKernel(&p, &f, 1, NULL), COOPT_KERNEL_BLOCK);
  cooptInt8WeightsFree(&v);
  cooptInt8WeightsFree(&f);
  free(w), free(few);
}

/* Weights without zeros: the masked form (byte shifts, a block mask of a
 * byte per K group) is a few bytes smaller than the dense one, so size
 * takes it, but where dense is the fastest form balanced never pays the
 * decode for that, on any CPU. */
static void test_balanced_min_saving(void) {
  const size_t n = 64, k = 64;
  int8_t *w = block_zero_weights(n, k, 0);
  coopt_int8_weights v;
  cooptAnalyzeInt8Weights(w, n, k, &v);
  CHECK(v.sizes[COOPT_KERNEL_MASKED] < v.sizes[COOPT_KERNEL_DENSE]);
  CHECK(v.sizes[COOPT_KERNEL_MASKED] > (1 - COOPT_KERNEL_BALANCED_MIN_SAVING) * v.sizes[COOPT_KERNEL_DENSE]);
  coopt_kernel_policy p = cooptDefaultKernelPolicy();
  p.objective = COOPT_KERNEL_SIZE;
  CHECK_EQ_INT(cooptChooseKernel(&p, &v, 49, NULL), COOPT_KERNEL_MASKED);
  p.objective = COOPT_KERNEL_BALANCED;
  static const size_t ms[] = {1, 4, 49, 196, 4096};
  size_t taken_dense = 0;
  for (int cpu = 0; cpu < COOPT_CPU_COUNT; ++cpu)
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; ++i) {
      p.cpu = (coopt_cost_cpu)cpu;
      const coopt_kernel_kind kind = cooptChooseKernel(&p, &v, ms[i], NULL);
      const double dense = cooptPredictKernel(p.cpu, &v, COOPT_KERNEL_DENSE, ms[i]);
      bool dense_fastest = true;
      for (int other = 0; other < COOPT_KERNEL_KINDS; ++other)
        dense_fastest &= !weighed(&v, other) || cooptPredictKernel(p.cpu, &v, (coopt_kernel_kind)other, ms[i]) >= dense;
      CHECK(!dense_fastest || kind == COOPT_KERNEL_DENSE);
      taken_dense += kind == COOPT_KERNEL_DENSE;
    }
  CHECK(taken_dense >= COOPT_CPU_COUNT * 4); /* dense is the fastest at all but one M a CPU */
  cooptInt8WeightsFree(&v);
  free(w);
}

int main(void) {
  test_model_shape();
  test_choice();
  test_balanced_layers();
  test_block_choice();
  test_balanced_min_saving();
  printf("unit-kernel-cost: %d passed, %d failed\n", unit_passed, unit_failed);
  return unit_failed != 0;
}
