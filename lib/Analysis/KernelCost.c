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
 * the 1-row tiles of AVX2, AVX-VNNI and AVX-512), one level per
 * COOPT_RT_ISA value, in coopt_kernel_kind's order.  Each fit is within
 * 1-25% of the timed points (the script prints how close: the AVX-512
 * dense and block-sparse and the AVX-VNNI block-sparse M < 4 fits are the
 * worst, 15-25%; 11% or better elsewhere).  Below AVX-VNNI the
 * block-sparse form runs the generic C kernel. */
static const cpu_costs costs[COOPT_CPU_COUNT] = {
    {"generic",
     "ns",
     {{{31.7, 0.000000, 1.10440, 0.762029}, {0.0, 0.031455, 0.79904, 0.757608}},
      {{0.0, 0.002164, 1.78216, 0.707199}, {0.0, 0.018038, 1.49992, 0.713451}},
      {{0.0, 0.030678, 0.00000, 0.845702}, {0.0, 0.291890, 0.00000, 0.861446}},
      {{0.0, 0.002844, 2.69756, 1.183751}, {0.0, 0.021452, 2.67328, 1.188391}},
      {{0.0, 0.706213, 4.23916, 0.743451}, {0.0, 0.928622, 1.56852, 0.746262}},
      {{0.0, 1.607410, 2.83322, 0.731627}, {0.0, 1.574204, 0.65080, 0.760341}},
      {{0.0, 0.017862, 2.61180, 0.775892}, {0.0, 0.112846, 1.80758, 0.777001}}},
     0},
    {"avx2",
     "ns",
     {{{12.9, 0.000811, 0.55558, 0.033493}, {42.5, 0.010559, 1.10497, 0.028999}},
      {{12.4, 0.000000, 11.61101, 0.104081}, {145.2, 0.000000, 0.55266, 0.031258}},
      {{29.6, 0.000000, 2.92284, 0.029125}, {188.0, 0.000000, 2.94671, 0.029123}},
      {{0.0, 0.004089, 2.51433, 1.181721}, {0.0, 0.012367, 2.45586, 1.189445}},
      {{0.0, 0.249803, 1.29239, 0.028076}, {33.3, 0.253579, 1.12941, 0.028971}},
      {{40.0, 0.320455, 1.94000, 0.023433}, {98.1, 0.324150, 1.14137, 0.028891}},
      {{0.0, 0.017637, 2.42652, 0.779405}, {0.0, 0.114458, 1.61407, 0.778108}}},
     0},
    {"avxvnni",
     "ns",
     {{{9.4, 0.000000, 0.41510, 0.008755}, {12.4, 0.023597, 0.39920, 0.005548}},
      {{3.2, 0.000000, 11.78308, 0.102298}, {200.7, 0.041717, 0.37297, 0.024945}},
      {{30.9, 0.000000, 4.25940, 0.024404}, {125.9, 0.000000, 3.79904, 0.016759}},
      {{0.0, 0.003440, 2.58707, 1.180194}, {0.0, 0.024973, 2.44000, 1.188526}},
      {{0.0, 0.249750, 1.15003, 0.003255}, {0.0, 0.265212, 0.44579, 0.005444}},
      {{27.0, 0.318789, 1.76914, 0.000000}, {53.6, 0.339181, 0.47413, 0.005182}},
      {{90.0, 0.002631, 0.33430, 0.014417}, {152.0, 0.000000, 0.29915, 0.008858}}},
     0},
    {"avx512",
     "ns",
     {{{0.0, 0.000000, 0.38616, 0.006576}, {11.2, 0.010374, 0.20438, 0.002455}},
      {{27.3, 0.002001, 11.53245, 0.099459}, {198.2, 0.043665, 0.36930, 0.024532}},
      {{7.6, 0.000000, 4.52822, 0.024479}, {41.9, 0.000200, 3.80000, 0.016786}},
      {{0.0, 0.002523, 2.44140, 1.188140}, {0.0, 0.024106, 2.45368, 1.190136}},
      {{7.0, 0.023953, 0.56073, 0.004376}, {25.5, 0.035395, 0.20254, 0.002323}},
      {{15.7, 0.037610, 0.92627, 0.002092}, {49.0, 0.047177, 0.21324, 0.002299}},
      {{140.7, 0.002302, 0.36961, 0.014482}, {162.1, 0.000881, 0.11532, 0.004650}}},
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
  cost_terms t = c->form[kind][m >= 4];
  /* The masked forms decode into the dense layout and run the dense tile
   * on it: each of their terms is at least dense's, so a masked call costs
   * at least dense's time plus its decode (the per-weight term over
   * dense's), and the model stays linear in M.  On tiny layers the fits'
   * call terms, a few ns apart and within their error, had them faster
   * than dense. */
  if (kind == COOPT_KERNEL_MASKED || kind == COOPT_KERNEL_MASKED_LUT) {
    const cost_terms *d = &c->form[COOPT_KERNEL_DENSE][m >= 4];
    t = (cost_terms){fmax(t.call, d->call), fmax(t.weight, d->weight), fmax(t.output, d->output), fmax(t.mac, d->mac)};
  }
  double cost = linear_cost(&t, m, n, k, kept);
  if (c->bytes_per_unit > 0)
    cost = fmax(cost, (double)bytes / c->bytes_per_unit);
  return cost;
}
