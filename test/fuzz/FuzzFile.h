/* For targets whose API reads files: each input goes through one temporary
 * file per process (created on first use, in TMPDIR or /tmp). */
#ifndef COOPT_TEST_FUZZ_FILE_H
#define COOPT_TEST_FUZZ_FILE_H
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char *fuzz_input_file(const uint8_t *data, size_t size) {
  static char path[4096];
  if (!path[0]) {
    const char *tmp = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/coopt-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
      abort();
    close(fd);
  }
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size)
    abort();
  fclose(f);
  return path;
}
#endif
