/*
 * The latency cost model behind coopt-lower-kernels' objective=latency and
 * objective=balanced: the predicted time of one call of an int8 GEMM form
 * on a CPU, from its shape alone.
 *
 * One formula for every form and CPU, per call of M rows, N output
 * channels and reduction length K:
 *
 *   cost = call + N*K * weight + M*N * output + kept * M*N*K * mac
 *
 * call: fixed per call; weight: per stored weight position, paid once per
 * call however many rows there are (the masked forms' decode, the dense
 * tiles' per-call pass over the weights); output: per output value (the
 * requantizing epilogue); mac: per multiply-accumulate done, `kept` being
 * the fraction the form does (the 1x4 sparse forms and the 8x4
 * block-sparse form skip their zero blocks; every other form does them
 * all).  Each CPU has two sets of coefficients,
 * for M < 4 (the 1-row tiles) and M >= 4 (the row tiles), because the
 * runtime dispatches on M.  On aarch64 the result is also at least the
 * packed bytes over the CPU's assumed bytes per cycle (a roofline), as a
 * layer's weights stream from L2 or memory once per call.
 *
 * The x86 coefficients are measured: bench/kernel-costs.sh times every
 * form at every runtime level on five shapes and fits them (within 1-25%);
 * the figures in KernelCost.c are one such run, so a choice is the same on
 * every machine (the runtime still dispatches tiles by CPUID at run time).
 * The aarch64 ones come from llvm-mca cycles per MAC of each inner loop and
 * per weight of each decode (bench/mca-kernels.sh); what llvm-mca cannot
 * give (per call, per output, bandwidth) is assumed and marked so.  Units:
 * ns on x86, cycles on aarch64.  docs/Passes.md has the table.
 */
#ifndef COOPT_LIB_ANALYSIS_KERNEL_COST_H
#define COOPT_LIB_ANALYSIS_KERNEL_COST_H

#include <stdbool.h>
#include <stddef.h>

/* The int8 pointwise (GEMM) kernel forms, in the runtime's terms. */
typedef enum coopt_kernel_kind {
  COOPT_KERNEL_DENSE,
  COOPT_KERNEL_SPARSE,     /* 1x4 blocks, all-zero blocks skipped */
  COOPT_KERNEL_LUT,        /* 4-bit indices into 16 values per channel */
  COOPT_KERNEL_SPARSE_LUT, /* both */
  COOPT_KERNEL_MASKED,     /* a bitmask of non-zeros and the non-zero bytes */
  COOPT_KERNEL_MASKED_LUT, /* a bitmask and 4-bit indices */
  COOPT_KERNEL_BLOCK,      /* 8x4 blocks (a panel's K group), all-zero blocks skipped by the dense tile */
  COOPT_KERNEL_KINDS
} coopt_kernel_kind;

typedef enum coopt_cost_cpu {
  COOPT_CPU_X86_GENERIC, /* the runtime's generic C kernels (target=generic, or x86 without AVX2) */
  COOPT_CPU_X86_AVX2,
  COOPT_CPU_X86_AVXVNNI,
  COOPT_CPU_X86_AVX512, /* AVX-512 VNNI and VBMI2 (the runtime's top x86 level) */
  COOPT_CPU_NEOVERSE_N1,
  COOPT_CPU_NEOVERSE_V2, /* with i8mm */
  COOPT_CPU_COUNT
} coopt_cost_cpu;

/* "avx512", "neoverse-n1", ... (the `cpu` option's values). */
const char *cooptCostCpuName(coopt_cost_cpu cpu);
/* "ns" or "cycles". */
const char *cooptCostUnit(coopt_cost_cpu cpu);
bool cooptCostCpuIsAarch64(coopt_cost_cpu cpu);
/* The x86 level of the CPU this runs on (the runtime's CPUID reading), for
 * cpu=native. */
coopt_cost_cpu cooptCostCpuOfHost(void);

/* Predicted cost of one call of `kind` on m x k activations and n x k
 * weights packed into `bytes`, doing `kept` of the MACs. */
double cooptKernelCost(coopt_cost_cpu cpu, coopt_kernel_kind kind, size_t m, size_t n, size_t k, double kept,
                       size_t bytes);

#endif
