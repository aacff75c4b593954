/*
 * Tensor files: .npy (NumPy format 1.0/2.0), ONNX TensorProto (.pb, the
 * backend test data), IDX (+gzip, the MNIST family).  Every reader checks
 * sizes against the header before touching data: these files come from
 * outside and will be fuzzed.
 */
#include "coopt/TensorIO.h"
#include "Data/OnnxTensor.h"
#include "Support/Support.h"
#include "onnx.pb-c.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

void cooptTensorFree(coopt_tensor *t) {
  free(t->data);
  t->data = NULL;
}

static bool fail(char *err, size_t n, const char *fmt, ...) COOPT_PRINTF(3, 4);
static bool fail(char *err, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, n, fmt, ap);
  va_end(ap);
  return false;
}

/* Where the .npy header's dictionary lies: version 1 has a 2-byte length,
 * versions 2 and 3 a 4-byte one. */
static bool npy_header_span(const char *path, const coopt_buf *f, size_t *hstart, size_t *hlen, char *err, size_t n) {
  const unsigned char *p = (const unsigned char *)f->data;
  if (f->size < 10)
    return fail(err, n, "%s: truncated .npy header", path);
  unsigned major = p[6];
  if (major == 1) {
    *hlen = (size_t)p[8] | (size_t)p[9] << 8;
    *hstart = 10;
  } else if (major == 2 || major == 3) {
    if (f->size < 12)
      return fail(err, n, "%s: truncated .npy header", path);
    *hlen = (size_t)p[8] | (size_t)p[9] << 8 | (size_t)p[10] << 16 | (size_t)p[11] << 24;
    *hstart = 12;
  } else
    return fail(err, n, "%s: unsupported .npy version %u", path, major);
  if (*hstart + *hlen > f->size)
    return fail(err, n, "%s: truncated .npy header", path);
  return true;
}

/* The .npy 'descr' of each dtype coopt reads and writes (little-endian or
 * byte-sized only), one table for both directions. */
static const struct {
  const char *descr;
  coopt_dtype dtype;
} npy_dtypes[] = {{"<f4", COOPT_F32}, {"|i1", COOPT_I8},  {"|u1", COOPT_U8},
                  {"<i4", COOPT_I32}, {"<i8", COOPT_I64}, {"|b1", COOPT_BOOL}};

static bool npy_dtype(const char *descr, coopt_dtype *dtype) {
  for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; ++i)
    if (!strcmp(descr, npy_dtypes[i].descr)) {
      *dtype = npy_dtypes[i].dtype;
      return true;
    }
  return false;
}

/* The descr of dtype (every coopt_dtype is in the table). */
static const char *npy_descr(coopt_dtype dtype) {
  for (size_t i = 0; i < sizeof npy_dtypes / sizeof npy_dtypes[0]; ++i)
    if (npy_dtypes[i].dtype == dtype)
      return npy_dtypes[i].descr;
  return "|b1";
}

/* The dims of a .npy 'shape' tuple, "(2, 3)" or "(4,)", from sh on. */
static bool npy_shape(const char *sh, coopt_tensor_type *type) {
  const char *s = strchr(sh, '(');
  type->rank = 0;
  if (!s)
    return false;
  ++s;
  while (*s && *s != ')') {
    while (*s == ' ' || *s == ',')
      ++s;
    if (*s == ')')
      break;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 0 || type->rank >= COOPT_MAX_RANK)
      return false;
    type->dims[type->rank++] = v;
    s = end;
  }
  return true;
}

static bool load_npy(const char *path, const coopt_buf *f, coopt_tensor *out, char *err, size_t n) {
  size_t hstart = 0, hlen = 0;
  if (!npy_header_span(path, f, &hstart, &hlen, err, n))
    return false;
  char *h = coopt_xstrndup(f->data + hstart, hlen);
  bool ok = false;
  const char *d = strstr(h, "'descr'"), *fo = strstr(h, "'fortran_order'"), *sh = strstr(h, "'shape'");
  if (!d || !fo || !sh) {
    fail(err, n, "%s: .npy header lacks descr/fortran_order/shape", path);
    goto done;
  }
  const char *q = strchr(d + 7, '\'');
  if (!q) {
    fail(err, n, "%s: bad descr", path);
    goto done;
  }
  char descr[16] = {0};
  sscanf(q + 1, "%15[^']", descr);
  if (!npy_dtype(descr, &out->type.dtype)) {
    fail(err, n, "%s: unsupported dtype '%s' (f4, i1, u1, i4, i8, b1 little-endian)", path, descr);
    goto done;
  }
  if (strstr(fo, "True")) {
    fail(err, n, "%s: Fortran-order arrays are not supported", path);
    goto done;
  }
  if (!npy_shape(sh, &out->type)) {
    fail(err, n, "%s: bad shape", path);
    goto done;
  }
  size_t bytes, have = f->size - hstart - hlen;
  if (!cooptTensorBytesWithin(&out->type, have, &bytes) || bytes != have) {
    fail(err, n, "%s: %zu bytes of data do not hold the header's shape", path, have);
    goto done;
  }
  out->data = coopt_xmalloc(bytes ? bytes : 1);
  memcpy(out->data, f->data + hstart + hlen, bytes);
  ok = true;
done:
  free(h);
  return ok;
}

bool cooptDtypeFromOnnx(int onnx_type, coopt_dtype *out) {
  switch (onnx_type) {
  case COOPT_ONNX_F32: *out = COOPT_F32; return true;
  case COOPT_ONNX_U8: *out = COOPT_U8; return true;
  case COOPT_ONNX_I8: *out = COOPT_I8; return true;
  case COOPT_ONNX_I32: *out = COOPT_I32; return true;
  case COOPT_ONNX_I64: *out = COOPT_I64; return true;
  case COOPT_ONNX_BOOL: *out = COOPT_BOOL; return true;
  default: return false;
  }
}

int cooptDtypeToOnnx(coopt_dtype t) {
  switch (t) {
  case COOPT_F32: return COOPT_ONNX_F32;
  case COOPT_U8: return COOPT_ONNX_U8;
  case COOPT_I8: return COOPT_ONNX_I8;
  case COOPT_I32: return COOPT_ONNX_I32;
  case COOPT_I64: return COOPT_ONNX_I64;
  case COOPT_BOOL: return COOPT_ONNX_BOOL;
  }
  return 0;
}

static bool load_pb(const char *path, const coopt_buf *f, coopt_tensor *out, char *err, size_t n) {
  Onnx__TensorProto *t = onnx__tensor_proto__unpack(NULL, f->size, (const uint8_t *)f->data);
  if (!t)
    return fail(err, n, "%s: not a .npy file nor a valid ONNX TensorProto", path);
  int onnx_type;
  char msg[256];
  bool ok = cooptOnnxTensorDecode(t, COOPT_MAX_RANK, &onnx_type, &out->type.rank, out->type.dims, &out->data, msg,
                                  sizeof msg) == COOPT_ONNX_TENSOR_OK;
  if (!ok)
    fail(err, n, "%s: the tensor %s", path, msg);
  else if (!cooptDtypeFromOnnx(onnx_type, &out->type.dtype))
    ok = fail(err, n, "%s: ONNX data type %d is not supported", path, onnx_type); /* decode accepts only these */
  if (!ok)
    cooptTensorFree(out);
  onnx__tensor_proto__free_unpacked(t, NULL);
  return ok;
}

bool cooptTensorLoad(const char *path, coopt_tensor *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  coopt_buf f;
  coopt_buf_init(&f);
  if (!coopt_read_file(path, &f)) {
    fail(err, err_size, "cannot read '%s': %s", path, strerror(errno));
    coopt_buf_free(&f);
    return false;
  }
  bool ok = f.size >= 6 && !memcmp(f.data, "\x93NUMPY", 6) ? load_npy(path, &f, out, err, err_size)
                                                           : load_pb(path, &f, out, err, err_size);
  coopt_buf_free(&f);
  return ok;
}

bool cooptTensorSaveNpy(const char *path, const coopt_tensor *t, char *err, size_t err_size) {
  const char *descr = npy_descr(t->type.dtype);
  coopt_buf h;
  coopt_buf_init(&h);
  coopt_buf_printf(&h, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int i = 0; i < t->type.rank; ++i)
    coopt_buf_printf(&h, "%lld,%s", (long long)t->type.dims[i], i + 1 < t->type.rank ? " " : "");
  coopt_buf_puts(&h, "), }");
  /* Pad with spaces to a multiple of 64 bytes, ending in a newline. */
  while ((10 + h.size + 1) % 64)
    coopt_buf_putc(&h, ' ');
  coopt_buf_putc(&h, '\n');
  coopt_buf f;
  coopt_buf_init(&f);
  coopt_buf_append(&f, "\x93NUMPY\x01\x00", 8);
  char len[2] = {(char)(h.size & 0xff), (char)(h.size >> 8)};
  coopt_buf_append(&f, len, 2);
  coopt_buf_append(&f, h.data, h.size);
  coopt_buf_append(&f, t->data, (size_t)cooptTensorElements(&t->type) * cooptDtypeSize(t->type.dtype));
  bool ok = coopt_write_file_atomic(path, f.data, f.size, err, err_size);
  coopt_buf_free(&h);
  coopt_buf_free(&f);
  return ok;
}

bool cooptIdxLoad(const char *path, coopt_tensor *out, char *err, size_t err_size) {
  memset(out, 0, sizeof *out);
  gzFile g = gzopen(path, "rb");
  if (!g)
    return fail(err, err_size, "cannot read '%s': %s", path, strerror(errno ? errno : ENOENT));
  coopt_buf b;
  coopt_buf_init(&b);
  char chunk[1 << 16];
  int r;
  while ((r = gzread(g, chunk, sizeof chunk)) > 0)
    coopt_buf_append(&b, chunk, (size_t)r);
  int gzerr;
  const char *gmsg = gzerror(g, &gzerr);
  bool ok = false;
  if (r < 0 || (gzerr != Z_OK && gzerr != Z_STREAM_END)) {
    fail(err, err_size, "%s: corrupt compressed data (%s)", path, gmsg);
    goto done;
  }
  const unsigned char *p = (const unsigned char *)b.data;
  if (b.size < 4 || p[0] || p[1] || p[2] != 0x08) {
    fail(err, err_size, "%s: not an IDX file of unsigned bytes", path);
    goto done;
  }
  int rank = p[3];
  if (rank < 1 || rank > 4 || b.size < 4 + 4 * (size_t)rank) {
    fail(err, err_size, "%s: bad IDX header", path);
    goto done;
  }
  out->type.dtype = COOPT_U8;
  out->type.rank = rank;
  for (int i = 0; i < rank; ++i) {
    const unsigned char *d = p + 4 + 4 * i;
    out->type.dims[i] = (int64_t)d[0] << 24 | (int64_t)d[1] << 16 | (int64_t)d[2] << 8 | d[3];
  }
  size_t bytes, have = b.size - 4 - 4 * (size_t)rank;
  if (!cooptTensorBytesWithin(&out->type, have, &bytes) || bytes != have) {
    fail(err, err_size, "%s: %zu data bytes do not hold the header's shape", path, have);
    goto done;
  }
  out->data = coopt_xmalloc(bytes ? bytes : 1);
  memcpy(out->data, p + 4 + 4 * rank, bytes);
  ok = true;
done:
  gzclose(g);
  coopt_buf_free(&b);
  return ok;
}
