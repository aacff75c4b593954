/*
 * A float interpreter of a TOSA function with reverse mode: what
 * coopt-distill needs to fit a compressed model to the float model end to
 * end, where layer-wise least squares (coopt-recover) stops.
 *
 * Layer-wise reconstruction fits each layer to its own float output; what it
 * cannot see is how an error left in one layer is amplified or hidden by the
 * layers after it.  A gradient of the whole model's output error sees that,
 * so the interpreter runs the function forward on a batch and back from an
 * output gradient, accumulating a gradient for every weight and bias.
 *
 * Scope: the op set of the CNNs coopt imports (conv2d, depthwise_conv2d,
 * matmul, clamp, avg_pool2d, max_pool2d, reshape, transpose, add), f32
 * throughout, at
 * the function's static shapes (its batch is the batch of one step).  A
 * function with any other op is refused with the op's location, so the caller
 * can say why and leave the model as it is.  Tensors are row-major in the
 * IR's own layouts (NHWC activations); weights are held in the canonical view
 * of Analysis/Weights.h (rows x spatial x inner), so that structure records,
 * masks and codebooks read the same indices as everywhere else in coopt.
 * Products go through BLAS (im2col + sgemm for conv2d), the rest are loops.
 */
#ifndef COOPT_LIB_BACKPROP_H
#define COOPT_LIB_BACKPROP_H

#include "Analysis/Weights.h"

#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One trainable tensor: a weight (canonical order) or a bias. */
typedef struct coopt_net_param {
  MlirOperation constant;     /* the tosa.const it came from */
  const coopt_weight *weight; /* NULL for a bias */
  int layer;                  /* a bias: the parameter index of its layer's weight */
  int64_t n;
  float *value; /* what the interpreter computes with; the caller may change it between steps */
  float *grad;  /* accumulated by cooptNetBackward, cleared by cooptNetZeroGrad */
} coopt_net_param;

typedef struct coopt_net coopt_net;

/* Build the interpreter of fn (one input, one output).  Weights are those of
 * `set` (cooptCollectWeights over fn); with `reference` every constant takes
 * its coopt.reference (the float model), otherwise its values.  Biases are
 * parameters when they are f32 constants of one layer alone (cooptBiasOf).
 * NULL when the function is outside the interpreter's scope: `why` says what,
 * `where` is the op (or fn). */
coopt_net *cooptNetBuild(MlirOperation fn, const coopt_weight_set *set, bool reference, char *why, size_t why_size,
                         MlirOperation *where);
void cooptNetFree(coopt_net *net);

int64_t cooptNetBatch(const coopt_net *net);          /* samples per forward pass */
int64_t cooptNetInputElements(const coopt_net *net);  /* per sample */
int64_t cooptNetOutputElements(const coopt_net *net); /* per sample */
size_t cooptNetNumParams(const coopt_net *net);
coopt_net_param *cooptNetParam(coopt_net *net, size_t i);

/* Forward on one batch (batch x input elements); the output stays valid
 * until the next call. */
const float *cooptNetForward(coopt_net *net, const float *x);
/* Back from dy (the gradient of the loss at the last forward's output):
 * adds into every parameter's grad. */
void cooptNetBackward(coopt_net *net, const float *dy);
void cooptNetZeroGrad(coopt_net *net);

#endif
