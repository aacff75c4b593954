#include "Analysis/KernelCost.h"

#include "coopt_rt/kernels.h"

#include <math.h>
#include <string.h>

/* {call, weight, output, mac} for M < 4, then for M >= 4 (KernelCost.h). */
typedef struct cost_terms {
  double call, weight, output, mac;
} cost_terms;
typedef struct cpu_costs {
  const char *name, *unit;
  cost_terms form[COOPT_KERNEL_KINDS][2];
  double bytes_per_unit; /* roofline: packed bytes per cycle (0: none) */
} cpu_costs;

/* The x86 rows: `sh bench/kernel-costs.sh build` on the AMD EPYC host of
 * docs/Performance.md (AVX-512 VNNI + VBMI2), 2026-12-04 (refitted after
 * the 1-row AVX-512 tile and the drivers of the per-channel families), one
 * level per COOPT_RT_ISA value, in coopt_kernel_kind's order.  Each fit is
 * within 1-22% of the timed points (the script prints how close: the
 * AVX-512 dense and AVX-VNNI block-sparse M < 4 fits are the worst, 20%
 * and 22%; 13% or better elsewhere).
 * Below AVX-VNNI the block-sparse form runs the generic C kernel. */
static const cpu_costs costs[COOPT_CPU_COUNT] = {
    {"generic",
     "ns",
     {{{0.0, 0.000000, 1.42445, 0.761206}, {0.0, 0.115387, 0.84693, 0.755617}},
      {{0.0, 0.003947, 1.97052, 0.697681}, {0.0, 0.023977, 1.81044, 0.706905}},
      {{24.9, 0.000000, 0.66026, 0.764785}, {35.4, 0.000000, 0.72221, 0.765136}},
      {{0.0, 0.004504, 2.19724, 1.034774}, {0.0, 0.033447, 2.14346, 1.037395}},
      {{78.1, 0.669014, 2.54358, 0.769006}, {64.1, 0.713570, 0.53040, 0.759664}},
      {{0.0, 1.575588, 2.87970, 0.742034}, {0.0, 1.562042, 0.56877, 0.760799}},
      {{0.0, 0.014842, 2.43315, 0.776806}, {0.0, 0.124530, 1.57283, 0.772695}}},
     0},
    {"avx2",
     "ns",
     {{{0.0, 0.006428, 0.00000, 0.073339}, {56.7, 0.008346, 0.99124, 0.029071}},
      {{19.4, 0.000000, 11.58059, 0.102715}, {118.2, 0.000000, 0.54933, 0.031163}},
      {{32.6, 0.000000, 2.92545, 0.028849}, {251.9, 0.000000, 2.94871, 0.028827}},
      {{0.0, 0.004847, 2.08417, 1.036143}, {0.0, 0.036250, 2.11690, 1.039319}},
      {{0.0, 0.264974, 0.00000, 0.073215}, {60.0, 0.263656, 1.15570, 0.028761}},
      {{53.6, 0.322377, 0.40800, 0.073049}, {135.6, 0.319452, 1.16843, 0.028760}},
      {{0.0, 0.015408, 2.31222, 0.778231}, {0.0, 0.097714, 1.61914, 0.777519}}},
     0},
    {"avxvnni",
     "ns",
     {{{15.2, 0.011347, 0.00000, 0.085674}, {77.9, 0.030003, 0.51236, 0.005451}},
      {{28.0, 0.000000, 14.46859, 0.189248}, {227.9, 0.046567, 0.71396, 0.035505}},
      {{16.9, 0.000000, 7.91727, 0.033937}, {145.3, 0.000000, 6.63263, 0.018334}},
      {{0.0, 0.000298, 5.50893, 1.333454}, {0.0, 0.109911, 4.26682, 1.351218}},
      {{0.0, 0.351756, 0.51364, 0.081040}, {58.8, 0.362579, 0.57102, 0.005166}},
      {{0.0, 0.471144, 1.00704, 0.092498}, {115.4, 0.494799, 0.57661, 0.005400}},
      {{146.7, 0.003319, 0.57538, 0.018672}, {321.4, 0.000000, 0.41903, 0.010899}}},
     0},
    {"avx512",
     "ns",
     {{{0.0, 0.000382, 0.37191, 0.006112}, {27.6, 0.010500, 0.19679, 0.002374}},
      {{12.3, 0.000000, 11.60554, 0.101971}, {188.4, 0.043378, 0.37610, 0.024242}},
      {{30.4, 0.000000, 4.25041, 0.024297}, {102.8, 0.000000, 3.77239, 0.016686}},
      {{0.0, 0.002080, 2.06655, 1.040381}, {0.0, 0.033323, 1.99724, 1.040093}},
      {{7.9, 0.023406, 0.52695, 0.004590}, {26.7, 0.035050, 0.20017, 0.002315}},
      {{13.2, 0.037686, 0.87822, 0.002280}, {49.4, 0.046646, 0.21092, 0.002302}},
      {{147.4, 0.002353, 0.34200, 0.014515}, {169.3, 0.001185, 0.11551, 0.004543}}},
     0},
    /* llvm-mca -mcpu=neoverse-n1 (docs/Performance.md; whole loops, since
     * 2026-12-04: the earlier regions left part of each loop out): dense
     * qs8_gemm_4x8c4__neondot 0.037 cycles/MAC, which also runs M < 4 as a
     * 4-row tile (so 4 x 0.037 per weight there); sparse
     * qs8_spgemm_1x1c4__neondot 0.704 per kept MAC; lookup-table
     * qs8_lut4_gemm_1x1c16__neondot 0.191; masked: the dense tile after
     * qs8_masked_decode_{i8,lut4}__neon, 1.405 / 1.917 cycles per weight.
     * Block-sparse qs8_bsgemm_8x8c4__neondot 0.040 per kept MAC; a call's
     * last <= 4 rows run its 4-row body, 0.056 per kept MAC of 4 rows,
     * counted for M < 4 as 4 x 0.056 / 2 (M = 2).  Assumed: the sparse
     * lookup-table form (generic C) 1.0 per kept MAC, 100 cycles per call,
     * 1 per output, 8 bytes per cycle. */
    {"neoverse-n1",
     "cycles",
     {{{100, 0.148, 1, 0}, {100, 0, 1, 0.037}},
      {{100, 0, 1, 0.704}, {100, 0, 1, 0.704}},
      {{100, 0, 1, 0.191}, {100, 0, 1, 0.191}},
      {{100, 0, 1, 1.0}, {100, 0, 1, 1.0}},
      {{100, 0.148 + 1.405, 1, 0}, {100, 1.405, 1, 0.037}},
      {{100, 0.148 + 1.917, 1, 0}, {100, 1.917, 1, 0.037}},
      {{100, 0, 1, 0.112}, {100, 0, 1, 0.040}}},
     8},
    /* llvm-mca -mcpu=neoverse-v2: M >= 4 on qs8_gemm_8x8c8__neoni8mm (0.014
     * cycles/MAC), M < 4 on the 4-row SDOT tile (4 x 0.022 per weight);
     * sparse 0.368 per kept MAC; lookup-table 0.098; decodes 0.588 / 0.971
     * per weight; block-sparse 0.020 per kept MAC (SDOT: 1.4x the i8mm
     * dense tile), 4-row body 0.032 (M < 4: 0.064).  Assumed as for N1,
     * with the sparse lookup-table form at 0.6 and 16 bytes per cycle. */
    {"neoverse-v2",
     "cycles",
     {{{100, 0.088, 1, 0}, {100, 0, 1, 0.014}},
      {{100, 0, 1, 0.368}, {100, 0, 1, 0.368}},
      {{100, 0, 1, 0.098}, {100, 0, 1, 0.098}},
      {{100, 0, 1, 0.6}, {100, 0, 1, 0.6}},
      {{100, 0.088 + 0.588, 1, 0}, {100, 0.588, 1, 0.014}},
      {{100, 0.088 + 0.971, 1, 0}, {100, 0.971, 1, 0.014}},
      {{100, 0, 1, 0.064}, {100, 0, 1, 0.020}}},
     16},
};

const char *cooptCostCpuName(coopt_cost_cpu cpu) { return cpu < COOPT_CPU_COUNT ? costs[cpu].name : "?"; }
const char *cooptCostUnit(coopt_cost_cpu cpu) { return cpu < COOPT_CPU_COUNT ? costs[cpu].unit : "?"; }
bool cooptCostCpuIsAarch64(coopt_cost_cpu cpu) { return cpu == COOPT_CPU_NEOVERSE_N1 || cpu == COOPT_CPU_NEOVERSE_V2; }

/* The runtime's own CPUID reading, through the level it reports. */
coopt_cost_cpu cooptCostCpuOfHost(void) {
  const char *isa = coopt_rt_isa();
  if (strstr(isa, "avx512vbmi2"))
    return COOPT_CPU_X86_AVX512;
  if (strstr(isa, "avxvnni"))
    return COOPT_CPU_X86_AVXVNNI;
  if (strstr(isa, "avx2"))
    return COOPT_CPU_X86_AVX2;
  return COOPT_CPU_X86_GENERIC;
}

static double linear_cost(const cost_terms *t, size_t m, size_t n, size_t k, double kept) {
  double nk = (double)n * (double)k, mn = (double)m * (double)n;
  return t->call + nk * t->weight + mn * t->output + kept * mn * (double)k * t->mac;
}

double cooptKernelCost(coopt_cost_cpu cpu, coopt_kernel_kind kind, size_t m, size_t n, size_t k, double kept,
                       size_t bytes) {
  if (cpu >= COOPT_CPU_COUNT || kind >= COOPT_KERNEL_KINDS)
    return INFINITY;
  const cpu_costs *c = &costs[cpu];
  double cost = linear_cost(&c->form[kind][m >= 4], m, n, k, kept);
  /* The masked forms decode into the dense layout and run the dense tile
   * on it: at least dense's time plus the decode (their per-weight term
   * over dense's).  On tiny layers the fits' call terms, a few ns apart and
   * within their error, had them faster than dense. */
  if (kind == COOPT_KERNEL_MASKED || kind == COOPT_KERNEL_MASKED_LUT) {
    const cost_terms *d = &c->form[COOPT_KERNEL_DENSE][m >= 4];
    double decode = fmax(0, c->form[kind][m >= 4].weight - d->weight) * (double)n * (double)k;
    cost = fmax(cost, linear_cost(d, m, n, k, 1.0) + decode);
  }
  if (c->bytes_per_unit > 0)
    cost = fmax(cost, (double)bytes / c->bytes_per_unit);
  return cost;
}
