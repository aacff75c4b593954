/*
 * Helpers shared by the AArch64 NEON tiles (internal): the llvm-mca region
 * markers and the scalar requantizing row store.  Each tile family lives in
 * a file of its own (arch/arm_64/<family>_<isa>.c, as on x86); files of the
 * dot-product and int8 matrix-multiply extensions compile to nothing where
 * the target lacks them, and the dispatcher's tables list only what was
 * built.
 */
#ifndef COOPT_RT_ARCH_ARM_64_NEON_H
#define COOPT_RT_ARCH_ARM_64_NEON_H

#include "../../tiles.h"

#include <arm_neon.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* llvm-mca loops (bench/mca-kernels.sh builds with -DCOOPT_MCA -S): one
 * empty asm comment inside a kernel's steady-state loop names it, and the
 * script makes the region the whole loop that holds it, from its label to
 * its backward branch.  A BEGIN/END pair in the source measured only what
 * the compiler happened to schedule between the two comments (an asm
 * statement orders no register arithmetic): the SDOTs of four kernels
 * and the FMAs of the f32 SpMM were outside their regions.  Only that build
 * carries the marker. */
#ifdef COOPT_MCA
#define MCA_LOOP(name) __asm volatile("# coopt-mca-loop " name)
#else
#define MCA_LOOP(name)
#endif

/* One output row of an int8 GEMM panel (8 channels, ncols of them real):
 * the int32 accumulators to acc_out, or requantized to c. */
static inline void store_row8(const coopt_blob *b, int32x4_t lo, int32x4_t hi, const int32_t *pm, const int32_t *ps,
                              int8_t *c, int32_t *acc_out, size_t ncols) {
  int32_t t[8];
  vst1q_s32(t, lo);
  vst1q_s32(t + 4, hi);
  if (acc_out) {
    memcpy(acc_out, t, ncols * 4);
  } else {
    for (size_t j = 0; j < ncols; ++j)
      c[j] = coopt_requant(t[j], pm[j], ps[j], b);
  }
}

#endif
