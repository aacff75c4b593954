/*
 * Probes: run a model and read values from its inside.
 *
 * A probe is a clone of the module whose entry function returns chosen
 * intermediate values, JIT-compiled through the same lowering coopt-runner
 * uses.  The module itself is never changed.  coopt-calibrate reads the
 * quantization points this way; coopt-recover and the data-driven modes of
 * coopt-prune / coopt-cluster read the inputs of weight layers.
 *
 * Values are named in the original module: results of ops directly in the
 * entry's body, or its argument 0 (the model input, which the probe hands
 * back from the input buffer).  The clone preserves op order, so a value is
 * found again by the position of its defining op.
 */
#ifndef COOPT_LIB_EXEC_PROBE_H
#define COOPT_LIB_EXEC_PROBE_H

#include "coopt/Exec.h"

#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
  /* The clone also returns the entry's own results (first, in order). */
  COOPT_PROBE_KEEP_RESULTS = 1u << 0,
  /* Constants carrying coopt.reference get those values back in the clone:
   * the probe runs the float model that compression started from. */
  COOPT_PROBE_REFERENCE = 1u << 1,
};

/* Called on the clone after it is rewired and before it is compiled (e.g.
 * to route convolutions to coopt's kernels, which makes a probe several
 * times faster).  Returns false with a message to fail the probe. */
typedef bool (*coopt_probe_prepare)(MlirModule clone, void *user_data, char *err, size_t err_size);

typedef struct coopt_probe {
  coopt_jit jit;
  MlirModule clone;
  bool compiled;
  int64_t batch, per_sample; /* the model input [batch, per_sample...] */
  int num_values;
  int *output;       /* jit output holding value k; -1 = the input itself */
  int64_t *elements; /* elements of value k per sample */
  int num_results;   /* kept entry results (COOPT_PROBE_KEEP_RESULTS) */
  void **buffers;    /* one per jit output */
  float *input;      /* batch x per_sample */
} coopt_probe;

/* Build and compile a probe of func.func @<entry> for `values`: static f32
 * tensors laid out sample after sample (leading dimensions of size 1 aside,
 * the first one a multiple of the batch; anything when the batch is 1).  On
 * failure writes err. */
bool cooptProbeCreate(MlirOperation module, const char *entry, const MlirValue *values, int num_values, unsigned flags,
                      coopt_probe_prepare prepare, void *prepare_data, coopt_probe *p, char *err, size_t err_size);
/* A probe of the part of @<entry> between `from` and `values` only: its
 * input is `from` (batch x per_sample as its type says), its ops the ones
 * the values need.  This is what a layer-by-layer pass needs when it already
 * holds the previous layer's inputs: a few ops to compile instead of the
 * whole prefix.  Fails ("not a segment") when the values depend on anything
 * else than `from` and constants, e.g. a skip connection from further up. */
bool cooptProbeCreateSegment(MlirOperation module, const char *entry, MlirValue from, const MlirValue *values,
                             int num_values, coopt_probe_prepare prepare, void *prepare_data, coopt_probe *p, char *err,
                             size_t err_size);
/* Run `count` samples (1 <= count <= batch; the rest of the batch is zero). */
bool cooptProbeRun(coopt_probe *p, const float *samples, int64_t count);
/* Value k of the last run: batch x elements[k] floats. */
const float *cooptProbeValue(const coopt_probe *p, int k);
/* Entry result i of the last run (with COOPT_PROBE_KEEP_RESULTS). */
const void *cooptProbeResult(const coopt_probe *p, int i);
void cooptProbeDestroy(coopt_probe *p);

#endif
