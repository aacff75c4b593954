// exact=false, the textbook form.
// Activations: an explicit quantize/dequantize chain per quantization point,
// parameters from coopt.range (TFLite asymmetric int8: [-1, 1] -> scale 2/255, zero point 0).
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant{exact=false})' | FileCheck %s
// CHECK-LABEL: func.func @main
// CHECK: %[[INV:.*]] = "tosa.const"() <{values = dense<1.275000e+02> : tensor<1x1x1x1xf32>}>
// CHECK: %[[ZP:.*]] = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}>
// CHECK: %[[S:.*]] = "tosa.const"() <{values = dense<0.00784313772> : tensor<1x1x1x1xf32>}>
// CHECK: %[[SH:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK: %[[M:.*]] = tosa.mul %arg0, %[[INV]], %[[SH]]
// CHECK: %[[A:.*]] = tosa.add %[[M]], %[[ZP]]
// CHECK: %[[Q:.*]] = tosa.cast %[[A]] : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
// CHECK: %[[F:.*]] = tosa.cast %[[Q]] : (tensor<1x4x4x2xi8>) -> tensor<1x4x4x2xf32>
// CHECK: %[[D:.*]] = tosa.sub %[[F]], %[[ZP]]
// CHECK: %[[X:.*]] = tosa.mul %[[D]], %[[S]], %[[SH]] {coopt.fake_quant = {scale = 0.0078431372549019607 : f64, zero_point = 0 : i64}}
// Weights become q * s, symmetric, one scale per output channel (max |w| / 127).
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}5.000000e-01, -0.251968503]]], {{\[\[\[}}0.000000e+00, 1.000000e+00]]], {{\[\[\[}}-7.500000e-01, 0.124015749]]], {{\[\[\[}}3.000000e-01, 0.000000e+00]]]]> : tensor<4x1x1x2xf32>}> {coopt.quant = {bits = 8 : i64, scales = array<f64: 0.003937007874015748, 0.0078740157480314959, 0.005905511811023622, 0.0023622048182750312>}}
// The bias is an int32 multiple of in_scale * w_scale.
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[0.100015439, -0.200030878, 0.000000e+00, 0.050004635]> : tensor<4xf32>}> {coopt.quant = {bits = 32 : i64, scales = array<f64: 3.0878493129535278E-5, 6.1756986259070556E-5, 4.6317739694302917E-5, 1.8527096613
// CHECK: %[[C:.*]] = tosa.conv2d %[[X]], %[[W]], %[[B]]
// The ReLU is fused: one point after the clamp, none between conv and clamp.
// CHECK-NEXT: %[[R:.*]] = tosa.clamp %[[C]] {coopt.range = array<f64: 0.000000e+00, 1.500000e+00>
// CHECK: tosa.mul %[[R]],
// CHECK: coopt.fake_quant = {scale = 0.0058823529411764705 : f64, zero_point = -128 : i64}
// CHECK: tosa.depthwise_conv2d
// CHECK: coopt.fake_quant = {scale = 0.023529411764705882 : f64, zero_point = -128 : i64}
// avg_pool2d reuses its input's parameters (TFLite requires it), without a range of its own.
// CHECK: tosa.avg_pool2d
// CHECK: coopt.fake_quant = {scale = 0.023529411764705882 : f64, zero_point = -128 : i64}
// matmul, reshape and the bias add form one chain, quantized after the add.
// CHECK: %[[MM:.*]] = tosa.matmul
// CHECK: %[[MR:.*]] = tosa.reshape %[[MM]]
// CHECK-NEXT: "tosa.const"() <{values = dense<{{\[\[}}0.100046314, -0.100046314, 0.000000e+00]]> : tensor<1x3xf32>}> {coopt.quant = {bits = 32 : i64
// CHECK-NEXT: %[[Y:.*]] = tosa.add %[[MR]]
// CHECK: tosa.mul %[[Y]],
// CHECK: %[[OUT:.*]] = tosa.mul {{.*}}coopt.fake_quant = {scale = 0.031372549019607843 : f64, zero_point = 0 : i64}
// CHECK: return %[[OUT]]

// exact=true (the default): the same chains and parameters, but the int8
// graph's arithmetic in between.  Weights and biases hold their codes.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant)' | FileCheck %s --check-prefix=EXACT
// EXACT-LABEL: func.func @main(
// EXACT: %[[X:.*]] = tosa.mul {{.*}}coopt.fake_quant = {scale = 0.0078431372549019607 : f64, zero_point = 0 : i64}
// EXACT: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}1.270000e+02, -6.400000e+01]]], {{\[\[\[}}0.000000e+00, 1.270000e+02]]], {{\[\[\[}}-1.270000e+02, 2.100000e+01]]], {{\[\[\[}}1.270000e+02, 0.000000e+00]]]]> : tensor<4x1x1x2xf32>}> {coopt.quant = {bits = 8 : i64, codes = true, scales = array<f64: 0.003937007874015748,
// EXACT: %[[B:.*]] = "tosa.const"() <{values = dense<[3.239000e+03, -3.239000e+03, 0.000000e+00, 2.699000e+03]> : tensor<4xf32>}> {coopt.quant = {bits = 32 : i64, codes = true,
// The input's codes q - zp, recovered from its dequantized value.
// EXACT: %[[U1:.*]] = tosa.mul %[[X]], {{.*}} {coopt.exact}
// EXACT: %[[U2:.*]] = tosa.cast %[[U1]] {coopt.exact} : {{.*}} -> tensor<1x4x4x2xi32>
// EXACT: %[[U3:.*]] = tosa.cast %[[U2]] {coopt.exact} : {{.*}} -> tensor<1x4x4x2xf32>
// EXACT: %[[ACC:.*]] = tosa.conv2d %[[U3]], %[[W]], %[[B]]
// Requantized in f64 with coopt-lower-int8's (multiplier, shift): 1442928645 * 2^-38, ...
// EXACT: %[[A64:.*]] = tosa.cast %[[ACC]] {coopt.exact} : {{.*}} -> tensor<1x4x4x4xf64>
// EXACT: %[[R:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}0.0052493438306555618, 0.010498687661311124, 0.007874015747802332, 0.0031496064239036059]]]]> : tensor<1x1x1x4xf64>}>
// EXACT: %[[Y:.*]] = tosa.mul %[[A64]], %[[R]], {{.*}} {coopt.exact}
// EXACT: %[[H:.*]] = tosa.add %[[Y]], {{.*}} {coopt.exact}
// EXACT: %[[FL:.*]] = tosa.floor %[[H]] {coopt.exact}
// EXACT: %[[C32:.*]] = tosa.cast %[[FL]] {coopt.exact} : {{.*}} -> tensor<1x4x4x4xf32>
// EXACT: %[[RQ:.*]] = tosa.mul %[[C32]], {{.*}} {coopt.exact}
// EXACT-NEXT: tosa.clamp %[[RQ]] {coopt.range
// EXACT: tosa.depthwise_conv2d
// EXACT: tosa.floor
// avg_pool2d: the window sum (average x 16) divided with reciprocal_scale(16) = 1073741825 * 2^-34.
// EXACT: %[[AP:.*]] = tosa.avg_pool2d
// EXACT: tosa.mul %[[AP]], {{.*}} {coopt.exact}
// EXACT: dense<0.062500000058207661> : tensor<1x1x1x1xf64>
// The matmul's reshape and bias add stay on the accumulator; its range moves to the real value.
// EXACT: %[[MM:.*]] = tosa.matmul
// EXACT: %[[MR:.*]] = tosa.reshape %[[MM]]
// EXACT: "tosa.const"() <{values = dense<{{\[\[}}5.400000e+02, -7.200000e+02, 0.000000e+00]]> : tensor<1x3xf32>}> {coopt.quant = {bits = 32 : i64, codes = true
// EXACT: %[[MB:.*]] = tosa.add %[[MR]], %{{[0-9]+}} :
// EXACT: tosa.cast %[[MB]] {coopt.exact}
// EXACT: tosa.mul {{.*}} {coopt.exact, coopt.range = array<f64: -4.000000e+00, 4.000000e+00>}
// EXACT: return

// Nothing of it folds away (that canonicalization changes no result is
// test/Integration/Compiled/pass-numerics.test).
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant,canonicalize)' -o %t.canon.mlir
// RUN: FileCheck %s --check-prefix=EXACT-CANON < %t.canon.mlir
// EXACT-CANON-COUNT-4: tosa.floor

// An accumulator that can leave the range binary64 computes exactly keeps
// the textbook form, with a remark (the int8 graph is the same either way).
// RUN: coopt-opt %S/Inputs/fq-big-accumulator.mlir -p 'builtin.module(coopt-fake-quant)' -o %t.big.mlir 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: FileCheck %s --check-prefix=BIG-IR < %t.big.mlir
// BIG: remark: 'wide': coopt-fake-quant: tosa.conv2d 'wide' keeps the float emulation: its accumulator can exceed the range f32 and f64 hold exactly
// BIG-IR-LABEL: func.func @main(
// BIG-IR: tosa.floor
// BIG-IR-NOT: tosa.floor
// BIG-IR: return
// The bias the two convolutions share keeps its real values for 'wide';
// 'narrow' gets codes of its own, on its own grid: both forms lower alike.
// RUN: coopt-opt %t.big.mlir -p 'builtin.module(coopt-lower-int8)' -o %t.big.i8.mlir
// RUN: coopt-opt %S/Inputs/fq-big-accumulator.mlir -p 'builtin.module(coopt-fake-quant{exact=false},coopt-lower-int8)' -o %t.big.tb.i8.mlir
// RUN: cmp %t.big.i8.mlir %t.big.tb.i8.mlir

// Past 2^53, the split form: acc = hi 2^16 + lo, A = hi m, B = lo m + 2^(shift-1),
// result floor((A + floor(B 2^-16)) 2^-(shift-16)); still equal to the int8
// graph (test/Integration/Compiled/pass-numerics.test).
// RUN: coopt-opt %S/Inputs/fq-split.mlir -p 'builtin.module(coopt-fake-quant)' -o %t.split.mlir
// RUN: FileCheck %s --check-prefix=SPLIT < %t.split.mlir
// SPLIT-LABEL: func.func @main(
// SPLIT: %[[ACC:.*]] = tosa.conv2d
// SPLIT: %[[X:.*]] = tosa.cast %[[ACC]] {coopt.exact} : {{.*}} -> tensor<1x1x2x2xf64>
// SPLIT: dense<1.52587890625E-5>
// SPLIT: %[[HI:.*]] = tosa.floor
// SPLIT: dense<6.553600e+04>
// SPLIT: %[[HI16:.*]] = tosa.mul %[[HI]],
// SPLIT: %[[LO:.*]] = tosa.sub %[[X]], %[[HI16]] {coopt.exact}
// SPLIT: %[[A:.*]] = tosa.mul %[[HI]], %[[M:.*]], %{{.*}} {coopt.exact}
// SPLIT: %[[LM:.*]] = tosa.mul %[[LO]], %[[M]], %{{.*}} {coopt.exact}
// SPLIT: %[[B:.*]] = tosa.add %[[LM]], {{.*}} {coopt.exact}
// SPLIT: tosa.floor
// SPLIT: tosa.floor
// SPLIT-NOT: tosa.floor

// A padded avg_pool2d divides by a count that varies with the position: it
// keeps the textbook form, with a remark; the unpadded one is exact.
// RUN: coopt-opt %S/Inputs/fq-avgpool-padded.mlir -p 'builtin.module(coopt-fake-quant)' -o %t.pool.mlir 2>&1 | FileCheck %s --check-prefix=POOL
// POOL: remark: 'padded': coopt-fake-quant: tosa.avg_pool2d 'padded' keeps the float emulation: it is padded, so its divisor varies across the output
// POOL-NOT: remark
// RUN: FileCheck %s --check-prefix=POOL-IR < %t.pool.mlir
// POOL-IR-LABEL: func.func @main(
// POOL-IR: %[[G:.*]] = tosa.avg_pool2d {{.*}}kernel = array<i64: 4, 4>
// POOL-IR: tosa.mul %[[G]], {{.*}} {coopt.exact}
// POOL-IR: tosa.floor
// POOL-IR-NOT: tosa.floor

// per-channel=false: one scale per tensor.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant{per-channel=false})' | FileCheck %s --check-prefix=TENSOR
// TENSOR-LABEL: func.func @main(
// TENSOR: coopt.quant = {bits = 8 : i64, codes = true, scales = array<f64: 0.0078740157480314959>}
// TENSOR: coopt.quant = {bits = 32 : i64, codes = true, scales = array<f64: 6.1756986259070556E-5, 6.1756986259070556E-5, 6.1756986259070556E-5, 6.1756986259070556E-5>}

// The chain survives canonicalization (quant.qcast/dcast would fold to identity).
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant,canonicalize)' | FileCheck %s --check-prefix=CANON
// CANON-COUNT-5: tosa.cast {{.*}} -> tensor<{{.*}}xi8>

// Deterministic.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant)' -o %t.1
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant)' -o %t.2
// RUN: cmp %t.1 %t.2

// The fake-quant graph runs and lands on the int8 grid: its output is a
// multiple of the output scale (checked against coopt-lower-int8 in coopt-lower-int8.mlir).

// preserve-clusters: the codebook is quantized, not the weights.
//   @close: 1.0 and 0.997 would share code 127; a coarser grid separates them.
//   @shared: a per-tensor codebook forces a per-tensor scale.
//   @crowded: no grid separates 1.0, 0.9999, 0.9998: a remark names the tensor.
// RUN: coopt-opt %S/Inputs/fq-clusters.mlir -p 'builtin.module(coopt-fake-quant{preserve-clusters=true preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null 2>%t.err | FileCheck %s --check-prefix=KEEP
// RUN: FileCheck %s --check-prefix=KEEP-REMARKS < %t.err
// KEEP: "loc": "close"
// KEEP: "distinct": 4,
// KEEP: "structure": "{clusters = 4 : i64, per_channel = false}"
// KEEP: "loc": "shared"
// KEEP: "distinct": 3,
// KEEP: "structure": "{clusters = 3 : i64, per_channel = false}"
// KEEP: "loc": "crowded"
// KEEP: "distinct": 2,
// KEEP: "structure": "{clusters = 4 : i64, per_channel = true, sparsity = 2.500000e-01 : f64}"
// KEEP-REMARKS: remark: 'close': coopt-fake-quant: tosa.conv2d weight 2x1x1x4 of 'close' is clustered per tensor; quantizing it per tensor to keep 4 values
// KEEP-REMARKS: remark: 'shared': coopt-fake-quant: tosa.conv2d weight 2x1x1x2 of 'shared' is clustered per tensor; quantizing it per tensor to keep 3 values
// KEEP-REMARKS: remark: 'crowded': coopt-fake-quant: tosa.conv2d weight 1x1x1x4 of 'crowded': centroids too close to keep apart on int8 codes; some share a code
// Without preserve-clusters: 1.0 and 0.997 merge (fewer values: the claim
// holds), and per-channel scales break @shared's per-tensor claim, which is
// dropped with a remark rather than left false.  (exact=false keeps the
// real values in the constants, which is what "distinct" counts here; with
// exact=true they hold per-channel codes.)
// RUN: coopt-opt %S/Inputs/fq-clusters.mlir -p 'builtin.module(coopt-fake-quant{exact=false},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null 2>%t.err2 | FileCheck %s --check-prefix=PLAIN
// RUN: FileCheck %s --check-prefix=PLAIN-REMARKS < %t.err2
// PLAIN: "loc": "close"
// PLAIN: "distinct": 3,
// PLAIN: "loc": "shared"
// PLAIN: "distinct": 4,
// PLAIN-NOT: clusters = 3
// PLAIN: "loc": "crowded"
// PLAIN-REMARKS: remark: 'shared': coopt-fake-quant: tosa.conv2d weight 2x1x1x2 of 'shared': quantization broke its cluster claim (3 clusters recorded, but the tensor has 4 distinct values); dropping it (preserve-clusters=true keeps it)

// preserve-sparsity on a pruned model: zeros stay zero, the claims verify.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5 ops=conv2d,depthwise_conv2d,matmul},coopt-fake-quant{preserve-sparsity=true},coopt-verify-structure,coopt-stats{format=json})' -o /dev/null | FileCheck %s --check-prefix=SPARSE
// SPARSE-COUNT-3: "structure": "{pattern = \"unstructured\", sparsity = 5.000000e-01 : f64}"
