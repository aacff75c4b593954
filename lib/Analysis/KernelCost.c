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
 * docs/Performance.md (AVX-512 VNNI + VBMI2), 2026-12-03, one level per
 * COOPT_RT_ISA value, in coopt_kernel_kind's order.  Each fit is within
 * 1-15% of the timed points (the script prints how close); the
 * block-sparse rows (added with that form, same script and host, timed at
 * 25-100% kept blocks) within 2-8% for M >= 4 and 22% below.  Below
 * AVX-VNNI the block-sparse form runs the generic C kernel. */
static const cpu_costs costs[COOPT_CPU_COUNT] = {
    {"generic",
     "ns",
     {{{0.0, 0.000000, 0.80065, 0.761004}, {85.3, 0.043638, 0.34528, 0.753957}},
      {{0.0, 0.003296, 1.81695, 0.690753}, {0.0, 0.016824, 1.64533, 0.698795}},
      {{8.2, 0.000000, 0.98540, 0.768340}, {0.0, 0.000000, 0.82604, 0.769750}},
      {{0.0, 0.002494, 1.89036, 1.033730}, {0.0, 0.027252, 1.91550, 1.031586}},
      {{0.0, 0.680329, 2.53832, 0.765465}, {0.0, 0.729666, 0.50722, 0.753606}},
      {{15.4, 1.594253, 2.23505, 0.736881}, {36.8, 1.599657, 0.34974, 0.753351}},
      {{0.0, 0.016044, 2.51698, 0.766925}, {0.0, 0.128617, 1.54084, 0.767465}}},
     0},
    {"avx2",
     "ns",
     {{{13.5, 0.001224, 0.70476, 0.021256}, {34.2, 0.007452, 1.11553, 0.032680}},
      {{11.0, 0.000000, 11.47303, 0.106727}, {120.1, 0.000000, 0.57017, 0.038665}},
      {{102.2, 0.000000, 2.82682, 0.028999}, {251.5, 0.000000, 2.95680, 0.028720}},
      {{0.0, 0.000394, 1.80824, 1.043766}, {0.0, 0.017787, 1.83239, 1.037908}},
      {{1.3, 0.246637, 1.08231, 0.017946}, {56.9, 0.247521, 1.15340, 0.032538}},
      {{60.0, 0.313411, 1.48871, 0.016120}, {78.0, 0.318069, 1.15823, 0.032406}},
      {{0.0, 0.017639, 2.46200, 0.781437}, {0.0, 0.151256, 1.74514, 0.778146}}},
     0},
    {"avxvnni",
     "ns",
     {{{14.7, 0.000780, 0.70273, 0.021384}, {0.0, 0.023699, 0.38595, 0.005520}},
      {{10.4, 0.000000, 11.54282, 0.105011}, {179.8, 0.042460, 0.46391, 0.024733}},
      {{81.8, 0.000777, 4.10819, 0.023506}, {598.7, 0.000000, 3.53043, 0.015299}},
      {{0.0, 0.003035, 1.83504, 1.035260}, {0.0, 0.024084, 1.91177, 1.033903}},
      {{0.0, 0.245462, 1.09963, 0.017674}, {0.0, 0.260097, 0.41863, 0.005475}},
      {{31.0, 0.312367, 1.49799, 0.014518}, {22.0, 0.328199, 0.44087, 0.005302}},
      {{95.7, 0.002689, 0.30329, 0.014286}, {159.4, 0.000232, 0.35309, 0.006599}}},
     0},
    {"avx512",
     "ns",
     {{{0.0, 0.000070, 1.43525, 0.005788}, {40.2, 0.011636, 0.22476, 0.002360}},
      {{12.1, 0.000000, 11.63892, 0.104547}, {183.9, 0.042484, 0.45880, 0.025048}},
      {{60.0, 0.000000, 4.04956, 0.024308}, {120.4, 0.000000, 3.41079, 0.015815}},
      {{0.0, 0.002433, 1.92514, 1.037601}, {0.0, 0.031846, 1.92900, 1.033836}},
      {{0.0, 0.023417, 1.36872, 0.006504}, {50.6, 0.035337, 0.23658, 0.002343}},
      {{2.3, 0.036757, 1.71651, 0.004414}, {63.2, 0.047600, 0.24906, 0.002278}},
      {{99.7, 0.002804, 0.30711, 0.014282}, {177.1, 0.001116, 0.16192, 0.003359}}},
     0},
    /* llvm-mca -mcpu=neoverse-n1 (docs/Performance.md): dense
     * qs8_gemm_4x8c4__neondot 0.031 cycles/MAC, which also runs M < 4 as a
     * 4-row tile (so 4 x 0.031 per weight there); sparse
     * qs8_spgemm_1x1c4__neondot 0.703 per kept MAC; lookup-table
     * qs8_lut4_gemm_1x1c16__neondot 0.160; masked: the dense tile after
     * qs8_masked_decode_{i8,lut4}__neon, 1.442 / 1.661 cycles per weight.
     * Block-sparse qs8_bsgemm_8x8c4__neondot 0.036 per kept MAC; a call's
     * last <= 4 rows run its 4-row body, 0.048 per kept MAC of 4 rows,
     * counted for M < 4 as 4 x 0.048 / 2 (M = 2).  Assumed: the sparse
     * lookup-table form (generic C) 1.0 per kept MAC, 100 cycles per call,
     * 1 per output, 8 bytes per cycle. */
    {"neoverse-n1",
     "cycles",
     {{{100, 0.124, 1, 0}, {100, 0, 1, 0.031}},
      {{100, 0, 1, 0.703}, {100, 0, 1, 0.703}},
      {{100, 0, 1, 0.160}, {100, 0, 1, 0.160}},
      {{100, 0, 1, 1.0}, {100, 0, 1, 1.0}},
      {{100, 0.124 + 1.442, 1, 0}, {100, 1.442, 1, 0.031}},
      {{100, 0.124 + 1.661, 1, 0}, {100, 1.661, 1, 0.031}},
      {{100, 0, 1, 0.096}, {100, 0, 1, 0.036}}},
     8},
    /* llvm-mca -mcpu=neoverse-v2: M >= 4 on qs8_gemm_8x8c8__neoni8mm (0.008
     * cycles/MAC), M < 4 on the 4-row SDOT tile (4 x 0.020 per weight);
     * sparse 0.356 per kept MAC; lookup-table 0.082; decodes 0.486 / 0.904
     * per weight; block-sparse 0.020 per kept MAC (SDOT: 2.5x the i8mm
     * dense tile), 4-row body 0.032 (M < 4: 0.064).  Assumed as for N1,
     * with the sparse lookup-table form at 0.6 and 16 bytes per cycle. */
    {"neoverse-v2",
     "cycles",
     {{{100, 0.080, 1, 0}, {100, 0, 1, 0.008}},
      {{100, 0, 1, 0.356}, {100, 0, 1, 0.356}},
      {{100, 0, 1, 0.082}, {100, 0, 1, 0.082}},
      {{100, 0, 1, 0.6}, {100, 0, 1, 0.6}},
      {{100, 0.080 + 0.486, 1, 0}, {100, 0.486, 1, 0.008}},
      {{100, 0.080 + 0.904, 1, 0}, {100, 0.904, 1, 0.008}},
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

double cooptKernelCost(coopt_cost_cpu cpu, coopt_kernel_kind kind, size_t m, size_t n, size_t k, double kept,
                       size_t bytes) {
  if (cpu >= COOPT_CPU_COUNT || kind >= COOPT_KERNEL_KINDS)
    return INFINITY;
  const cpu_costs *c = &costs[cpu];
  const cost_terms *t = &c->form[kind][m >= 4];
  double nk = (double)n * (double)k, mn = (double)m * (double)n;
  double cost = t->call + nk * t->weight + mn * t->output + kept * mn * (double)k * t->mac;
  if (c->bytes_per_unit > 0)
    cost = fmax(cost, (double)bytes / c->bytes_per_unit);
  return cost;
}
