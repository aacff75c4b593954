/*
 * coopt-gen-model: write a MobileNet-v1-style model in the TOSA dialect with
 * deterministic pseudo-random (He-normal) weights.
 *
 * It exists so that `make run` and the benchmarks have a model of real size
 * (width 1.0, 224x224, 1000 classes: 4.2 M weights) without downloading
 * anything.  The weights are not trained; the trained models live in models/.
 *
 *   coopt-gen-model [--width=W] [--resolution=R] [--classes=N] [--seed=S] [-o out.mlir]
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static double next_uniform(void) {
  /* splitmix64: tiny, fast and the same on every platform. */
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double next_normal(void) {
  double u1 = next_uniform(), u2 = next_uniform();
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static FILE *out;
static int value_id;

static void shape_str(char *buf, size_t size, const int *dims, int rank) {
  size_t used = 0;
  for (int i = 0; i < rank; ++i)
    used += (size_t)snprintf(buf + used, size - used, "%dx", dims[i]);
}

/* Emit a tosa.const with normal(0, stddev) values; returns its SSA id. */
static int emit_const(const int *dims, int rank, double stddev, const char *name) {
  long n = 1;
  for (int i = 0; i < rank; ++i)
    n *= dims[i];
  char shape[128];
  shape_str(shape, sizeof shape, dims, rank);
  int id = value_id++;
  fprintf(out, "    %%%d = \"tosa.const\"() <{values = dense<\"0x", id);
  for (long i = 0; i < n; ++i) {
    float f = (float)(stddev * next_normal());
    uint32_t bits;
    memcpy(&bits, &f, 4);
    /* Little-endian bytes, as MLIR's hex form stores them. */
    fprintf(out, "%02X%02X%02X%02X", bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >> 24);
  }
  fprintf(out, "\"> : tensor<%sf32>}> : () -> tensor<%sf32> loc(\"%s\")\n", shape, shape, name);
  return id;
}

static int zp_id;

static int conv(int x, int h, int w, int cin, int cout, int k, int stride, const char *name, int *oh, int *ow) {
  int wd[4] = {cout, k, k, cin}, bd[1] = {cout};
  char wname[96];
  snprintf(wname, sizeof wname, "%s.weight", name);
  int wid = emit_const(wd, 4, sqrt(2.0 / (k * k * cin)), wname);
  snprintf(wname, sizeof wname, "%s.bias", name);
  int bid = emit_const(bd, 1, 0.01, wname);
  /* TOSA wants (H - 1 + pads - (K - 1)) divisible by the stride: pad like
   * TensorFlow's SAME (the extra row/column at the bottom/right). */
  int pad = k / 2, pt = pad, pb = pad;
  if (stride == 2 && k == 3) {
    pt = 0;
    pb = 1;
  }
  *oh = (h - 1 + pt + pb - (k - 1)) / stride + 1;
  *ow = (w - 1 + pt + pb - (k - 1)) / stride + 1;
  char xs[16];
  if (x < 0)
    snprintf(xs, sizeof xs, "input");
  else
    snprintf(xs, sizeof xs, "%d", x);
  int id = value_id++;
  fprintf(out,
          "    %%%d = tosa.conv2d %%%s, %%%d, %%%d, %%%d, %%%d {acc_type = f32, dilation = array<i64: 1, 1>, "
          "pad = array<i64: %d, %d, %d, %d>, stride = array<i64: %d, %d>} : (tensor<1x%dx%dx%dxf32>, "
          "tensor<%dx%dx%dx%dxf32>, tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x%dx%dx%dxf32> "
          "loc(\"%s\")\n",
          id, xs, wid, bid, zp_id, zp_id, pt, pb, pt, pb, stride, stride, h, w, cin, cout, k, k, cin, cout, *oh, *ow,
          cout, name);
  int r = value_id++;
  fprintf(out,
          "    %%%d = tosa.clamp %%%d {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : "
          "(tensor<1x%dx%dx%dxf32>) -> tensor<1x%dx%dx%dxf32> loc(\"%s.relu6\")\n",
          r, id, *oh, *ow, cout, *oh, *ow, cout, name);
  return r;
}

static int dwconv(int x, int h, int w, int c, int stride, const char *name, int *oh, int *ow) {
  int wd[4] = {3, 3, c, 1}, bd[1] = {c};
  char wname[96];
  snprintf(wname, sizeof wname, "%s.weight", name);
  int wid = emit_const(wd, 4, sqrt(2.0 / 9.0), wname);
  snprintf(wname, sizeof wname, "%s.bias", name);
  int bid = emit_const(bd, 1, 0.01, wname);
  int pt = 1, pb = 1;
  if (stride == 2) {
    pt = 0;
    pb = 1;
  }
  *oh = (h - 1 + pt + pb - 2) / stride + 1;
  *ow = (w - 1 + pt + pb - 2) / stride + 1;
  int id = value_id++;
  fprintf(out,
          "    %%%d = tosa.depthwise_conv2d %%%d, %%%d, %%%d, %%%d, %%%d {acc_type = f32, dilation = "
          "array<i64: 1, 1>, pad = array<i64: %d, %d, %d, %d>, stride = array<i64: %d, %d>} : "
          "(tensor<1x%dx%dx%dxf32>, tensor<3x3x%dx1xf32>, tensor<%dxf32>, tensor<1xf32>, tensor<1xf32>) -> "
          "tensor<1x%dx%dx%dxf32> loc(\"%s\")\n",
          id, x, wid, bid, zp_id, zp_id, pt, pb, pt, pb, stride, stride, h, w, c, c, c, *oh, *ow, c, name);
  int r = value_id++;
  fprintf(out,
          "    %%%d = tosa.clamp %%%d {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : "
          "(tensor<1x%dx%dx%dxf32>) -> tensor<1x%dx%dx%dxf32> loc(\"%s.relu6\")\n",
          r, id, *oh, *ow, c, *oh, *ow, c, name);
  return r;
}

static int usage(void) {
  fprintf(stderr, "usage: coopt-gen-model [--width=W] [--resolution=R] [--classes=N] [--seed=S] [-o out.mlir]\n");
  return 1;
}

int main(int argc, char **argv) {
  double width = 1.0;
  int res = 224, classes = 1000;
  unsigned long long seed = 1;
  const char *path = NULL;
  for (int i = 1; i < argc; ++i) {
    char *end = NULL;
    if (!strncmp(argv[i], "--width=", 8))
      width = strtod(argv[i] + 8, &end);
    else if (!strncmp(argv[i], "--resolution=", 13))
      res = (int)strtol(argv[i] + 13, &end, 10);
    else if (!strncmp(argv[i], "--classes=", 10))
      classes = (int)strtol(argv[i] + 10, &end, 10);
    else if (!strncmp(argv[i], "--seed=", 7))
      seed = strtoull(argv[i] + 7, &end, 10);
    else if (!strcmp(argv[i], "-o") && i + 1 < argc)
      path = argv[++i];
    else
      return usage();
    if (end && *end)
      return usage();
  }
  if (!(width > 0 && width <= 4) || res < 32 || res > 1024 || res % 32 || classes < 1 || classes > 100000) {
    fprintf(stderr, "coopt-gen-model: width in (0,4], resolution a multiple of 32 in [32,1024], classes >= 1\n");
    return 1;
  }
  rng_state = seed;
  out = path ? fopen(path, "w") : stdout;
  if (!out) {
    fprintf(stderr, "coopt-gen-model: cannot write '%s': %s\n", path, strerror(errno));
    return 1;
  }
  static const int block_c[13] = {64, 128, 128, 256, 256, 512, 512, 512, 512, 512, 512, 1024, 1024};
  static const int block_s[13] = {1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1};
#define CH(c) ((int)((c) * width) < 8 ? 8 : (int)((c) * width))
  fprintf(out, "// MobileNet-v1 width %g, %dx%d, %d classes; generated by coopt-gen-model --seed=%llu\n", width, res,
          res, classes, seed);
  fprintf(out, "module {\n  func.func @main(%%input: tensor<1x%dx%dx3xf32>) -> tensor<1x1x%dxf32> {\n", res, res,
          classes);
  zp_id = value_id++;
  fprintf(out, "    %%%d = \"tosa.const\"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>\n",
          zp_id);
  int h, w, c = CH(32);
  char name[64];
  int x = conv(-1, res, res, 3, c, 3, 2, "conv0", &h, &w); /* -1: the function argument */
  for (int b = 0; b < 13; ++b) {
    snprintf(name, sizeof name, "block%d.dw", b + 1);
    x = dwconv(x, h, w, c, block_s[b], name, &h, &w);
    snprintf(name, sizeof name, "block%d.pw", b + 1);
    x = conv(x, h, w, c, CH(block_c[b]), 1, 1, name, &h, &w);
    c = CH(block_c[b]);
  }
  int pooled = value_id++;
  fprintf(out,
          "    %%%d = tosa.avg_pool2d %%%d, %%%d, %%%d {acc_type = f32, kernel = array<i64: %d, %d>, pad = "
          "array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x%dx%dx%dxf32>, tensor<1xf32>, "
          "tensor<1xf32>) -> tensor<1x1x1x%dxf32> loc(\"pool\")\n",
          pooled, x, zp_id, zp_id, h, w, h, w, c, c);
  int shp = value_id++;
  fprintf(out, "    %%%d = tosa.const_shape {values = dense<[1, 1, %d]> : tensor<3xindex>} : () -> !tosa.shape<3>\n",
          shp, c);
  int flat = value_id++;
  fprintf(out,
          "    %%%d = tosa.reshape %%%d, %%%d : (tensor<1x1x1x%dxf32>, !tosa.shape<3>) -> tensor<1x1x%dxf32> "
          "loc(\"flatten\")\n",
          flat, pooled, shp, c, c);
  int fd[3] = {1, c, classes}, fb[3] = {1, 1, classes};
  int fw = emit_const(fd, 3, sqrt(1.0 / c), "fc.weight");
  int fbias = emit_const(fb, 3, 0.01, "fc.bias");
  int mm = value_id++;
  fprintf(out,
          "    %%%d = tosa.matmul %%%d, %%%d, %%%d, %%%d : (tensor<1x1x%dxf32>, tensor<1x%dx%dxf32>, tensor<1xf32>, "
          "tensor<1xf32>) -> tensor<1x1x%dxf32> loc(\"fc\")\n",
          mm, flat, fw, zp_id, zp_id, c, c, classes, classes);
  int logits = value_id++;
  fprintf(out,
          "    %%%d = tosa.add %%%d, %%%d : (tensor<1x1x%dxf32>, tensor<1x1x%dxf32>) -> tensor<1x1x%dxf32> "
          "loc(\"fc.add\")\n",
          logits, mm, fbias, classes, classes, classes);
  fprintf(out, "    return %%%d : tensor<1x1x%dxf32>\n  }\n}\n", logits, classes);
  if (path && fclose(out) != 0) {
    fprintf(stderr, "coopt-gen-model: cannot write '%s': %s\n", path, strerror(errno));
    remove(path);
    return 1;
  }
  return 0;
}
