#include "Analysis/WeightStats.h"
#include "Support/Support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Map a float to a key whose unsigned order is the float order, with -0 and
 * +0 on one key and every NaN on one key. */
static uint32_t sort_key(float f) {
  if (f == 0)
    f = 0;
  if (isnan(f))
    return 0xffffffffu;
  uint32_t x;
  memcpy(&x, &f, 4);
  return (x & 0x80000000u) ? ~x : (x | 0x80000000u);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

/* Sort keys ascending; returns the buffer holding the result (a or b). */
static uint32_t *sort_keys(uint32_t *a, uint32_t *b, int64_t n) {
  if (n < 256) {
    qsort(a, (size_t)n, sizeof *a, cmp_u32);
    return a;
  }
  /* LSD radix sort in three 11-bit digits: tensors reach millions of
   * weights, and per-channel calls are many and small, so the histogram
   * must stay small (2048 buckets) as well as the pass count. */
  size_t count[2048];
  for (int sh = 0; sh < 33; sh += 11) {
    memset(count, 0, sizeof count);
    for (int64_t i = 0; i < n; ++i)
      count[(a[i] >> sh) & 0x7ff]++;
    size_t sum = 0;
    for (size_t d = 0; d < 2048; ++d) {
      size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (int64_t i = 0; i < n; ++i)
      b[count[(a[i] >> sh) & 0x7ff]++] = a[i];
    uint32_t *t = a;
    a = b;
    b = t;
  }
  return a;
}

int64_t cooptCountDistinct(const float *values, int64_t n, uint32_t *scratch) {
  if (n <= 0)
    return 0;
  uint32_t *a = scratch;
  for (int64_t i = 0; i < n; ++i)
    a[i] = sort_key(values[i]);
  a = sort_keys(a, scratch + n, n);
  int64_t distinct = 1;
  for (int64_t i = 1; i < n; ++i)
    distinct += a[i] != a[i - 1];
  return distinct;
}

void cooptSortFloats(float *values, int64_t n) {
  if (n <= 1)
    return;
  uint32_t *buf = coopt_xmalloc((size_t)(2 * n) * sizeof(uint32_t));
  for (int64_t i = 0; i < n; ++i)
    buf[i] = sort_key(values[i]);
  uint32_t *a = sort_keys(buf, buf + n, n);
  for (int64_t i = 0; i < n; ++i) {
    /* Invert sort_key (NaNs come back as one quiet NaN, -0 as +0). */
    uint32_t k = a[i], x = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    if (k == 0xffffffffu)
      x = 0x7fc00000u;
    memcpy(&values[i], &x, 4);
  }
  free(buf);
}

static int bits_for(int64_t k) {
  int bits = 1;
  while (bits < 63 && ((int64_t)1 << bits) < k)
    ++bits;
  return bits;
}

void cooptComputeWeightStats(const float *values, int64_t rows, int64_t per_row, coopt_weight_stats *s) {
  memset(s, 0, sizeof *s);
  int64_t n = rows * per_row;
  s->elements = n;
  s->channels = rows;
  for (int64_t i = 0; i < n; ++i) {
    s->zeros += values[i] == 0;
    s->nonfinite += !isfinite(values[i]);
  }
  uint32_t *scratch = coopt_xmalloc((size_t)(2 * (n ? n : 1)) * sizeof(uint32_t));
  s->distinct = cooptCountDistinct(values, n, scratch);
  int64_t max_channel_nonzero = 0;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t d = cooptCountDistinct(values + r * per_row, per_row, scratch), dz = d;
    for (int64_t i = 0; i < per_row; ++i)
      if (values[r * per_row + i] == 0) {
        --dz;
        break;
      }
    if (d > s->max_channel_distinct)
      s->max_channel_distinct = d;
    if (dz > max_channel_nonzero)
      max_channel_nonzero = dz;
  }
  free(scratch);
  s->bytes_f32 = 4 * n;
  s->bytes_int8 = n;
  s->bytes_sparse = (n + 7) / 8 + (n - s->zeros);
  /* Palettized: the smaller of one codebook for the tensor and one (fixed
   * size) codebook per output channel.  Beyond 256 entries an index is no
   * smaller than an int8 weight, so the tensor stays dense int8. */
  int64_t best = n;
  int best_bits = 0;
  bool per_channel = false;
  if (s->distinct > 0 && s->distinct <= 256) {
    int bits = bits_for(s->distinct);
    int64_t bytes = (n * bits + 7) / 8 + s->distinct;
    if (bytes < best || best_bits == 0) {
      best = bytes;
      best_bits = bits;
    }
  }
  if (s->max_channel_distinct > 0 && s->max_channel_distinct <= 256 && rows > 1) {
    int bits = bits_for(s->max_channel_distinct);
    int64_t bytes = (n * bits + 7) / 8 + rows * s->max_channel_distinct;
    if (best_bits == 0 || bytes < best) {
      best = bytes;
      best_bits = bits;
      per_channel = true;
    }
  }
  if (best_bits != 0 && best > n) {
    /* Palettizing would not pay: store dense int8. */
    best = n;
    best_bits = 0;
    per_channel = false;
  }
  s->bytes_palettized = best;
  /* Sparse + palettized (the PCQAT leaf): the bitmask, then an index per
   * nonzero into a codebook of the nonzero values. */
  int64_t nz = n - s->zeros, mask = (n + 7) / 8, dnz = s->distinct - (s->zeros > 0);
  int64_t sp = s->bytes_sparse;
  if (dnz > 0 && dnz <= 256)
    sp = mask + (nz * bits_for(dnz) + 7) / 8 + dnz < sp ? mask + (nz * bits_for(dnz) + 7) / 8 + dnz : sp;
  if (rows > 1 && max_channel_nonzero > 0 && max_channel_nonzero <= 256) {
    int64_t c = mask + (nz * bits_for(max_channel_nonzero) + 7) / 8 + rows * max_channel_nonzero;
    sp = c < sp ? c : sp;
  }
  s->bytes_sparse_palettized = sp;
  s->palette_bits = best_bits;
  s->palette_per_channel = per_channel;
}

int64_t cooptDistinctNonzero(const float *x, int64_t n, float *d) {
  int64_t k = 0;
  for (int64_t i = 0; i < n; ++i)
    if (x[i] != 0)
      d[k++] = x[i];
  cooptSortFloats(d, k);
  int64_t m = 0;
  for (int64_t i = 0; i < k; ++i)
    if (m == 0 || d[i] != d[m - 1])
      d[m++] = d[i];
  return m;
}

int32_t cooptSortedIndexOf(const float *d, int64_t n, float v) {
  int64_t lo = 0, hi = n - 1;
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (d[mid] < v)
      lo = mid + 1;
    else
      hi = mid;
  }
  return (int32_t)lo;
}

bool cooptSameZeros(const float *a, const float *b, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if ((a[i] == 0) != (b[i] == 0))
      return false;
  return true;
}
