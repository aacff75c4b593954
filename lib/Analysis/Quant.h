/*
 * The quantization graph model shared by coopt-calibrate, coopt-fake-quant
 * and coopt-lower-int8, so that all three agree on which tensors get
 * quantization parameters and where those are recorded.
 *
 * Quantization points follow TFLite's int8 scheme.  A "compute" op
 * (conv2d, depthwise_conv2d, matmul, element-wise arithmetic, ...) is
 * quantized at the end of its fusion chain: the clamps (ReLU/ReLU6) that
 * follow it, and for matmul the reshape and bias add the ONNX Gemm import
 * produces.  Layout ops (reshape, transpose) and max_pool2d do not change
 * the value set and get no point of their own; avg_pool2d gets a point that
 * reuses its input's parameters (TFLite requires equal input/output scales).
 * Every f32 function argument is a point.
 *
 * Records:
 *   coopt.range = array<f64: lo, hi>      calibrated range, on the op that
 *                                          produces the point (arg attribute
 *                                          for function arguments)
 *   coopt.fake_quant = {scale = f64, zero_point = i64}
 *                                          on the last op of a fake-quant chain
 *   coopt.quant = {bits = 8, scales = array<f64: ...>}
 *                                          on a fake-quantized weight or bias
 *                                          constant: one scale per canonical
 *                                          row (output channel), or one
 */
#ifndef COOPT_LIB_QUANT_H
#define COOPT_LIB_QUANT_H

#include <mlir-c/IR.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct coopt_qpoint {
  MlirValue value;        /* the f32 value that gets quantized */
  int arg;                /* function argument index, or -1 */
  MlirOperation producer; /* defining op of value (null for arguments) */
  MlirOperation anchor;   /* the compute op whose chain ends here (null for arguments) */
  int inherit;            /* index of the point whose parameters it reuses, or -1 */
} coopt_qpoint;

typedef struct coopt_qpoints {
  coopt_qpoint *items;
  size_t count;
} coopt_qpoints;

/* Quantization points of one func.func, in program order. */
void cooptCollectQuantPoints(MlirOperation func, coopt_qpoints *out);
void cooptQuantPointsFree(coopt_qpoints *q);
/* The point whose value v is, looking back through layout ops; -1 if none. */
int cooptQuantPointOf(const coopt_qpoints *q, MlirValue v);
/* The end of the fusion chain that starts at a compute op's result. */
MlirValue cooptFusionChainEnd(MlirOperation anchor);
/* True for ops that only move values (no new values, same grid). */
bool cooptIsLayoutOp(MlirOperation op);

/* A description for diagnostics: "tosa.conv2d 'node' result" / "argument 0". */
void cooptDescribeQuantPoint(MlirOperation func, const coopt_qpoint *p, char *buf, size_t size);

/* A coopt.range attribute's [lo, hi]: false unless two finite, ordered
 * numbers. */
bool cooptReadRangeAttr(MlirAttribute a, double *lo, double *hi);
/* coopt.range on a point. */
bool cooptGetRange(MlirOperation func, const coopt_qpoint *p, double *lo, double *hi);
void cooptSetRange(MlirOperation func, const coopt_qpoint *p, double lo, double hi);

/* TFLite asymmetric int8 parameters for a range: the range is widened to
 * contain 0 and the zero point is the nudged integer in [qmin, qmax]. */
void cooptChooseActivationParams(double lo, double hi, int qmin, int qmax, double *scale, int32_t *zero_point);

/* coopt.fake_quant on the last op of a chain. */
bool cooptGetFakeQuant(MlirOperation op, double *scale, int64_t *zero_point);
void cooptSetFakeQuant(MlirOperation op, double scale, int64_t zero_point);

/* coopt.quant on a constant.  `scales` has 1 or `n` entries. */
bool cooptGetConstQuant(MlirOperation constant, int64_t *bits, double **scales, int64_t *num_scales);
void cooptSetConstQuant(MlirOperation constant, int64_t bits, const double *scales, int64_t num_scales);

/* coopt.quant's `codes = true`: the constant holds the integer codes
 * themselves (as f32), not code * scale.  coopt-fake-quant{exact} stores
 * weights and biases so, because products of codes are exact in f32. */
bool cooptConstHoldsCodes(MlirOperation constant);
void cooptMarkConstCodes(MlirOperation constant);

/* Ops of coopt-fake-quant{exact}'s integer emulation carry coopt.exact: they
 * recover codes from a dequantized value or requantize an accumulator
 * exactly as the int8 graph will.  They have no int8 counterpart of their
 * own; coopt-lower-int8 looks through them. */
bool cooptIsExactEmulation(MlirOperation op);
void cooptTagExactEmulation(MlirOperation op);
/* The value an emulation op chain reads: back through tagged ops' operand 0. */
MlirValue cooptPeelExactEmulation(MlirValue v);
/* Forward: when ops of an emulation read v (they follow its definition in
 * the block, interleaved with their constants), the value the emulation
 * produces; otherwise v. */
MlirValue cooptPastExactEmulation(MlirValue v);

/* Round half away from zero (TFLite's std::round for weights and biases). */
double cooptRoundHalfAway(double x);
/* The symmetric int8 weight code of w on a grid of step s: [-127, 127]. */
int8_t cooptWeightCode(double w, double s);
/* The int32 code of a bias value b on a grid of step s (in_scale * w_scale):
 * rounded half away from zero, saturated. */
int32_t cooptBiasCode(double b, double s);

/* The real multipliers of requantization, defined once so that
 * coopt-lower-int8 and coopt-fake-quant{exact} (which emulates its
 * arithmetic bit for bit) compute the same doubles:
 *   an accumulator of s_in * s_w steps to s_out steps;
 *   add / sub of two activations (TFLite's scheme): each input onto the
 *   common i32 grid 2 max(s_a, s_b) / 2^20 (20 bits of headroom keep the
 *   rounding error far below one output step), and the sum from there to
 *   s_out. */
double cooptAccumulatorReal(double s_in, double s_w, double s_out);
void cooptEltwiseReals(double s_a, double s_b, double s_out, double *real_a, double *real_b, double *real_out);

/* A fake-quant chain (quantize: mul, add, cast->i8; dequantize: cast->f32,
 * sub, mul) recognised from its last op. */
typedef struct coopt_fq_chain {
  MlirOperation mul_q, add_zp, cast_i8, cast_f32, sub_zp, mul_dq;
  MlirValue input; /* the float value quantized */
  MlirValue q;     /* the i8 value */
  double scale;
  int64_t zero_point;
} coopt_fq_chain;

/* Recognise the chain ending at `last` (which carries coopt.fake_quant).
 * Returns false when the ops around it are not the expected chain. */
bool cooptMatchFakeQuant(MlirOperation last, coopt_fq_chain *out);

#endif
