#define _GNU_SOURCE
#include "Tool/Tool.h"

#include <malloc.h>

void coopt_tool_init_process(void) {
  /* Compiled models allocate their intermediates on every call (one-shot
   * bufferization, kernels' scratch) and free them at its end.  With glibc's
   * defaults each such block above the mmap threshold is a fresh mapping,
   * and freeing the top of the heap trims it, so every call page-faults its
   * tens of megabytes in again: 5x the run time of a recovery or an
   * evaluation.  A tool is one process with one job: keep freed memory for
   * reuse instead. */
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}
