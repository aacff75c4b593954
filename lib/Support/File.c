#define _POSIX_C_SOURCE 200809L
#include "Support/Support.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

bool coopt_read_file(const char *path, coopt_buf *out) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f)
    return false;
  struct stat st;
  if (f != stdin && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(f);
    errno = EISDIR;
    return false;
  }
  if (f != stdin && fstat(fileno(f), &st) == 0 && st.st_size > 0) {
    /* Read regular files in one go: models are tens of megabytes. */
    size_t want = (size_t)st.st_size;
    size_t old = out->size;
    coopt_buf_append(out, NULL, 0);
    out->data = coopt_xrealloc(out->data, old + want + 1);
    out->cap = old + want + 1;
    size_t got = fread(out->data + old, 1, want, f);
    out->size = old + got;
    out->data[out->size] = 0;
  }
  char chunk[1 << 16];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    coopt_buf_append(out, chunk, n);
  bool ok = !ferror(f);
  int saved = errno;
  if (f != stdin)
    fclose(f);
  if (!out->data)
    coopt_buf_append(out, "", 0);
  errno = saved;
  return ok;
}

bool coopt_write_file_atomic(const char *path, const void *data, size_t size, char *err, size_t err_size) {
  if (strcmp(path, "-") == 0) {
    if (fwrite(data, 1, size, stdout) != size || fflush(stdout) != 0) {
      snprintf(err, err_size, "cannot write to stdout: %s", strerror(errno));
      return false;
    }
    return true;
  }
  /* The temporary lives next to the target so that rename() is atomic and a
   * failed run never leaves a partial output file behind. */
  size_t len = strlen(path);
  char *tmp = coopt_xmalloc(len + 32);
  snprintf(tmp, len + 32, "%s.tmp.XXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(err, err_size, "cannot create '%s': %s", path, strerror(errno));
    free(tmp);
    return false;
  }
  const char *p = data;
  size_t left = size;
  while (left) {
    ssize_t w = write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      snprintf(err, err_size, "cannot write '%s': %s", path, strerror(errno));
      close(fd);
      unlink(tmp);
      free(tmp);
      return false;
    }
    p += w;
    left -= (size_t)w;
  }
  /* mkstemp creates 0600; give the file the permissions a plain create would. */
  mode_t mask = umask(0);
  umask(mask);
  fchmod(fd, 0666 & ~mask);
  if (close(fd) != 0 || rename(tmp, path) != 0) {
    snprintf(err, err_size, "cannot write '%s': %s", path, strerror(errno));
    unlink(tmp);
    free(tmp);
    return false;
  }
  free(tmp);
  return true;
}
