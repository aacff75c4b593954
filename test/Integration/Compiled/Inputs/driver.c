/*
 * A minimal application around a coopt-compiled model: includes the header
 * from `coopt-translate --emit=header` (MODEL_HEADER), reads the single
 * input from a .npy file, runs the model and writes the output as .npy.
 * Built for the host and cross-built for aarch64 (run under qemu) by the
 * tests in this directory.
 */
#include MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long npy_data_offset(FILE *f) {
  unsigned char h[10];
  if (fread(h, 1, 10, f) != 10 || memcmp(h, "\x93NUMPY", 6) || h[6] != 1)
    return -1;
  return 10 + (h[8] | h[9] << 8);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: driver input.npy output.npy\n");
    return 2;
  }
  size_t in_bytes = MODEL_INPUT0_ELEMENTS * sizeof(*((model_memref0_t *)0)->aligned);
  size_t out_bytes = MODEL_OUTPUT0_ELEMENTS * sizeof(*((model_memref1_t *)0)->aligned);
  void *in = malloc(in_bytes), *out = malloc(out_bytes);
  FILE *f = fopen(argv[1], "rb");
  long off = f ? npy_data_offset(f) : -1;
  if (off < 0 || fseek(f, off, SEEK_SET) || fread(in, 1, in_bytes, f) != in_bytes) {
    fprintf(stderr, "driver: cannot read %zu input bytes from %s\n", in_bytes, argv[1]);
    return 1;
  }
  fclose(f);
  model_run(in, out);
  /* .npy v1: f4 or i1, C order. */
  static const long long shape[] = MODEL_OUTPUT0_SHAPE;
  char dims[128] = "", header[256];
  for (int i = 0; i < MODEL_OUTPUT0_RANK; ++i)
    snprintf(dims + strlen(dims), sizeof dims - strlen(dims), "%lld, ", shape[i]);
  int n = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                   sizeof(*((model_memref1_t *)0)->aligned) == 4 ? "<f4" : "|i1", dims);
  int total = 10 + n + 1;
  int pad = (64 - total % 64) % 64;
  FILE *o = fopen(argv[2], "wb");
  unsigned short hl = (unsigned short)(n + pad + 1);
  fwrite("\x93NUMPY\x01\x00", 1, 8, o);
  fputc(hl & 0xff, o), fputc(hl >> 8, o);
  fwrite(header, 1, (size_t)n, o);
  for (int i = 0; i < pad; ++i)
    fputc(' ', o);
  fputc('\n', o);
  fwrite(out, 1, out_bytes, o);
  fclose(o);
  return 0;
}
