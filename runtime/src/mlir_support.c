/*
 * What code compiled by MLIR's upstream lowering calls besides libc and libm:
 * memrefCopy, emitted for copies between buffers of different layouts (e.g.
 * a bufferized tensor.pad).  The JIT gets it from MLIR's C runner utilities;
 * compiled models get it here, so they need no MLIR library at run time.
 * Same ABI as mlir/ExecutionEngine/CRunnerUtils.h.
 */
#include <stdint.h>
#include <string.h>

typedef struct coopt_unranked_memref {
  int64_t rank;
  void *descriptor; /* {char *allocated, *aligned; int64_t offset, sizes[rank], strides[rank]} */
} coopt_unranked_memref;

typedef struct coopt_strided_memref {
  char *allocated, *aligned;
  int64_t offset;
  int64_t dims[]; /* sizes[rank], then strides[rank] */
} coopt_strided_memref;

void memrefCopy(int64_t elem_size, coopt_unranked_memref *src_arg, coopt_unranked_memref *dst_arg);

void memrefCopy(int64_t elem_size, coopt_unranked_memref *src_arg, coopt_unranked_memref *dst_arg) {
  const coopt_strided_memref *src = src_arg->descriptor, *dst = dst_arg->descriptor;
  int64_t rank = src_arg->rank;
  if (rank == 0) {
    memcpy(dst->aligned + dst->offset * elem_size, src->aligned + src->offset * elem_size, (size_t)elem_size);
    return;
  }
  const int64_t *sizes = src->dims, *sstr = src->dims + rank, *dstr = dst->dims + rank;
  for (int64_t d = 0; d < rank; ++d)
    if (sizes[d] == 0)
      return;
  int64_t index[16] = {0};
  if (rank > 16)
    return;
  char *s = src->aligned + src->offset * elem_size, *t = dst->aligned + dst->offset * elem_size;
  /* Innermost run: contiguous on both sides becomes one memcpy (padding
   * copies move whole rows of channels). */
  int64_t last = rank - 1, run = 1;
  if (sstr[last] == 1 && dstr[last] == 1)
    run = sizes[last], --last;
  size_t bytes = (size_t)(run * elem_size);
  if (last < 0) {
    memcpy(t, s, bytes);
    return;
  }
  /* Odometer over the remaining indices. */
  for (;;) {
    memcpy(t, s, bytes);
    int64_t d = last;
    for (; d >= 0; --d) {
      s += sstr[d] * elem_size, t += dstr[d] * elem_size;
      if (++index[d] < sizes[d])
        break;
      s -= sstr[d] * elem_size * sizes[d], t -= dstr[d] * elem_size * sizes[d];
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}
