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
 * docs/Performance.md (AVX-512 VNNI + VBMI2), one quiet run for all four
 * levels, 2026-12-04, refitted after the x86 dense tiles moved onto one
 * driver (the AVX2 4-row tile's accumulators now stay in registers: 0.029
 * -> 0.017 ns a MAC at M >= 4, and the masked forms, which run it, with
 * it), one level per COOPT_RT_ISA value, in coopt_kernel_kind's order.
 * Each fit is within 1-24% of the timed points (the script prints how
 * close: the AVX-VNNI and AVX-512 block-sparse and the AVX-512 dense M < 4
 * fits are the worst, 16-24%; 11% or better elsewhere).  Below AVX-VNNI
 * the block-sparse form runs the generic C kernel.  The AVX2 and AVX-VNNI
 * masked rows are from 2026-12-04's later runs, after their decode went
 * from 8 positions a step (64-bit multiplies) to a K group in registers:
 * 0.27-0.34 -> 0.05-0.14 ns a weight; the two runs differed by up to 20%
 * in these rows' fits, and each level keeps the run whose fit was
 * closer (2-3% AVX2, 3-6% AVX-VNNI).  Their lookup-table rows predate the
 * two-pass 4-bit decode, about 10% faster a weight, inside that spread. */
static const cpu_costs costs[COOPT_CPU_COUNT] = {
    {"generic",
     "ns",
     {{{23.4, 0.000000, 1.23329, 0.761247}, {0.0, 0.031680, 1.43561, 0.754671}},
      {{0.0, 0.001591, 2.01930, 0.708391}, {0.0, 0.065933, 1.97968, 0.702514}},
      {{0.0, 0.001229, 1.02959, 0.767752}, {0.0, 0.000000, 0.96171, 0.767852}},
      {{0.0, 0.002389, 2.02615, 1.038392}, {0.0, 0.035221, 1.88433, 1.039269}},
      {{49.5, 0.684860, 2.88238, 0.763493}, {24.8, 0.747292, 1.19990, 0.754297}},
      {{46.8, 1.611789, 2.63377, 0.729166}, {794.9, 1.644140, 0.98146, 0.756020}},
      {{0.0, 0.016387, 2.46988, 0.779007}, {0.0, 0.109353, 1.59516, 0.779418}}},
     0},
    {"avx2",
     "ns",
     {{{17.7, 0.001517, 0.72690, 0.033066}, {13.3, 0.001183, 0.59059, 0.016824}},
      {{0.0, 0.001681, 12.91236, 0.092153}, {149.9, 0.000000, 0.59547, 0.031337}},
      {{26.3, 0.000000, 2.95077, 0.029219}, {191.4, 0.000000, 2.94514, 0.029305}},
      {{0.0, 0.000000, 2.02679, 1.050406}, {0.0, 0.014698, 1.78914, 1.049766}},
      {{14.5, 0.054111, 0.75598, 0.029584}, {0.0, 0.055676, 0.58473, 0.015213}},
      {{28.0, 0.124228, 1.17888, 0.025400}, {52.2, 0.125506, 0.57619, 0.015003}},
      {{0.0, 0.013336, 3.21303, 0.789895}, {0.0, 0.122820, 1.72765, 0.778822}}},
     0},
    {"avxvnni",
     "ns",
     {{{8.2, 0.000000, 0.42940, 0.008899}, {0.0, 0.025044, 0.37640, 0.005546}},
      {{0.0, 0.000925, 12.54021, 0.093263}, {208.1, 0.042403, 0.44874, 0.028500}},
      {{27.7, 0.000000, 4.33153, 0.024390}, {63.7, 0.000000, 3.84129, 0.016712}},
      {{0.0, 0.003411, 1.91086, 1.030082}, {0.0, 0.000000, 1.69568, 1.050025}},
      {{1.0, 0.054617, 0.61335, 0.007398}, {0.0, 0.074969, 0.37428, 0.005006}},
      {{2.2, 0.117732, 1.00451, 0.010192}, {33.6, 0.139005, 0.37567, 0.005200}},
      {{87.8, 0.002708, 0.32889, 0.013863}, {171.1, 0.000000, 0.31717, 0.007699}}},
     0},
    {"avx512",
     "ns",
     {{{0.0, 0.000323, 0.39297, 0.006103}, {10.1, 0.009257, 0.16738, 0.002471}},
      {{0.0, 0.000738, 12.55434, 0.093739}, {186.2, 0.044128, 0.46691, 0.028222}},
      {{27.2, 0.000000, 4.37727, 0.024258}, {44.2, 0.001242, 3.85691, 0.016706}},
      {{0.0, 0.003381, 2.12396, 1.029721}, {0.0, 0.005553, 1.97737, 1.040491}},
      {{4.7, 0.024060, 0.58408, 0.004290}, {6.2, 0.032704, 0.17097, 0.002435}},
      {{13.0, 0.037412, 0.97689, 0.002236}, {34.5, 0.045649, 0.18658, 0.002356}},
      {{154.1, 0.002492, 0.26094, 0.013182}, {159.7, 0.000543, 0.11669, 0.004718}}},
     0},
    /* llvm-mca -mcpu=neoverse-n1 (docs/Performance.md; whole loops, since
     * 2026-12-04: the earlier regions left part of each loop out): dense
     * qs8_gemm_4x8c4__neondot 0.037 cycles/MAC, which also runs M < 4 as a
     * 4-row tile (so 4 x 0.037 per weight there); sparse
     * qs8_spgemm_1x1c4__neondot 0.704 per kept MAC; lookup-table
     * qs8_lut4_gemm_1x1c16__neondot 0.191; masked: the dense tile after
     * qs8_masked_decode_{i8,lut4}__neon, 0.634 / 0.841 cycles per weight
     * (1.405 / 1.917 before the decode took a K group a step in registers;
     * the 4-bit form's 0.730 plus its first pass, 0.222 per stored code,
     * at 50% of the weights stored; a block mask decodes at 0.477 / 0.642,
     * priced as the per-weight one).
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
      {{100, 0.148 + 0.634, 1, 0}, {100, 0.634, 1, 0.037}},
      {{100, 0.148 + 0.841, 1, 0}, {100, 0.841, 1, 0.037}},
      {{100, 0, 1, 0.112}, {100, 0, 1, 0.040}}},
     8},
    /* llvm-mca -mcpu=neoverse-v2: M >= 4 on qs8_gemm_8x8c8__neoni8mm (0.014
     * cycles/MAC), M < 4 on the 4-row SDOT tile (4 x 0.022 per weight);
     * sparse 0.368 per kept MAC; lookup-table 0.098; decodes 0.289 / 0.437
     * per weight (0.388 + 0.098 / 2 for the 4-bit form's two passes; 0.588
     * / 0.971 before; block masks 0.215 / 0.318); block-sparse 0.020 per
     * kept MAC (SDOT: 1.4x the i8mm dense tile), 4-row body 0.032 (M < 4:
     * 0.064).  Assumed as for N1, with the sparse lookup-table form at 0.6
     * and 16 bytes per cycle. */
    {"neoverse-v2",
     "cycles",
     {{{100, 0.088, 1, 0}, {100, 0, 1, 0.014}},
      {{100, 0, 1, 0.368}, {100, 0, 1, 0.368}},
      {{100, 0, 1, 0.098}, {100, 0, 1, 0.098}},
      {{100, 0, 1, 0.6}, {100, 0, 1, 0.6}},
      {{100, 0.088 + 0.289, 1, 0}, {100, 0.289, 1, 0.014}},
      {{100, 0.088 + 0.437, 1, 0}, {100, 0.437, 1, 0.014}},
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
