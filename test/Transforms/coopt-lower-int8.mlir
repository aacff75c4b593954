// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8)' -o %t.i8.mlir
// RUN: FileCheck %s < %t.i8.mlir
// Float interface: the entry quantize half stays, then everything is integer.
// CHECK-LABEL: func.func @main(%arg0: tensor<1x4x4x2xf32>
// CHECK: %[[Q:.*]] = tosa.cast %{{.*}} : (tensor<1x4x4x2xf32>) -> tensor<1x4x4x2xi8>
// Weights are the exact int8 codes, with their scales and any structure claim.
// CHECK: %[[W:.*]] = "tosa.const"() <{values = dense<{{\[\[\[\[}}127, -64]]], {{\[\[\[}}0, 127]]], {{\[\[\[}}-127, 21]]], {{\[\[\[}}127, 0]]]]> : tensor<4x1x1x2xi8>}> {coopt.quant = {bits = 8 : i64
// CHECK: %[[IZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK: %[[WZP:.*]] = "tosa.const"() <{values = dense<0> : tensor<1xi8>}>
// CHECK: %[[B:.*]] = "tosa.const"() <{values = dense<[3239, -3239, 0, 2699]> : tensor<4xi32>}>
// CHECK: %[[C:.*]] = tosa.conv2d %[[Q]], %[[W]], %[[B]], %[[IZP]], %[[WZP]] {acc_type = i32, {{.*}} -> tensor<1x4x4x4xi32>
// Per-channel multiplier (Q31 in [2^30, 2^31)) and right shift; the ReLU is the range's zero point.
// CHECK: %[[M:.*]] = "tosa.const"() <{values = dense<[1442928645, 1442928645, 1082196484, 1731514443]> : tensor<4xi32>}>
// CHECK: %[[S:.*]] = "tosa.const"() <{values = dense<[38, 37, 37, 39]> : tensor<4xi8>}>
// CHECK: %[[R1:.*]] = tosa.rescale %[[C]], %[[M]], %[[S]], %{{.*}}, %{{.*}} {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : {{.*}} -> tensor<1x4x4x4xi8>
// The depthwise input zero point is the previous output's (-128).
// CHECK: %[[DZP:.*]] = "tosa.const"() <{values = dense<-128> : tensor<1xi8>}>
// CHECK: %[[D:.*]] = tosa.depthwise_conv2d %[[R1]], %{{.*}}, %{{.*}}, %[[DZP]], %{{.*}} {acc_type = i32
// CHECK: %[[R2:.*]] = tosa.rescale %[[D]]
// CHECK: %[[P:.*]] = tosa.avg_pool2d %[[R2]], %{{.*}}, %{{.*}} {acc_type = i32, {{.*}} -> tensor<1x1x1x4xi8>
// CHECK: %[[F:.*]] = tosa.reshape %[[P]], %{{.*}} -> tensor<1x1x4xi8>
// CHECK: %[[MM:.*]] = tosa.matmul %[[F]], %{{.*}} -> tensor<1x1x3xi32>
// CHECK: %[[MR:.*]] = tosa.reshape %[[MM]], %{{.*}} -> tensor<1x3xi32>
// CHECK: %[[BB:.*]] = "tosa.const"() <{values = dense<{{\[\[}}540, -720, 0]]> : tensor<1x3xi32>}>
// CHECK: %[[A:.*]] = tosa.add %[[MR]], %[[BB]] : (tensor<1x3xi32>, tensor<1x3xi32>) -> tensor<1x3xi32>
// CHECK: %[[R3:.*]] = tosa.rescale %[[A]]
// The float exit is the dequantize half of the last chain.
// CHECK: %[[E:.*]] = tosa.cast %[[R3]] : (tensor<1x3xi8>) -> tensor<1x3xf32>
// CHECK: tosa.sub %[[E]]
// CHECK: %[[OUT:.*]] = tosa.mul {{.*}}coopt.fake_quant
// CHECK-NEXT: return %[[OUT]]
// No float compute left.
// RUN: FileCheck %s --check-prefix=NOFLOAT < %t.i8.mlir
// NOFLOAT-LABEL: func.func @main(
// NOFLOAT-NOT: xf32>) -> tensor<1x4x4x4xf32>
// NOFLOAT-NOT: acc_type = f32

// The int8 graph passes tosa-validate (pro_int for the integer part, pro_fp
// for the float interface); that it computes exactly what the (exact)
// fake-quant graph computes is test/Integration/Compiled/pass-numerics.test.
// The textbook fake-quant graph (exact=false) lowers to the same int8 graph.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant{exact=false})' -o %t.tb.mlir
// RUN: coopt-opt %t.tb.mlir -p 'builtin.module(coopt-lower-int8)' -o %t.tb.i8.mlir
// RUN: cmp %t.i8.mlir %t.tb.i8.mlir
// RUN: mlir-opt %t.i8.mlir --tosa-attach-target="profiles=pro_int,pro_fp" --tosa-validate=strict-op-spec-alignment -o /dev/null

// interface=int8: i8 in, i8 out, parameters on the function; pure pro_int.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8{interface=int8})' -o %t.ii.mlir
// RUN: FileCheck %s --check-prefix=INT8IF < %t.ii.mlir
// RUN: mlir-opt %t.ii.mlir --tosa-attach-target="profiles=pro_int" --tosa-validate=strict-op-spec-alignment -o /dev/null
// INT8IF: func.func @main(%arg0: tensor<1x4x4x2xi8> {coopt.range = {{.*}}}) -> tensor<1x3xi8> attributes {coopt.input_quant = [{scale = 0.0078431372549019607 : f64, zero_point = 0 : i64}], coopt.output_quant = [{scale = 0.031372549019607843 : f64, zero_point = 0 : i64}]}
// INT8IF-NOT: f32
// INT8IF: tosa.conv2d %arg0,

// rounding=double: TFLite's rounding, which needs the doubleround extension.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8{rounding=double interface=int8})' -o %t.dr.mlir
// RUN: FileCheck %s --check-prefix=DOUBLE < %t.dr.mlir
// RUN: mlir-opt %t.dr.mlir --tosa-attach-target="profiles=pro_int extensions=doubleround" --tosa-validate=strict-op-spec-alignment -o /dev/null
// RUN: not mlir-opt %t.dr.mlir --tosa-attach-target="profiles=pro_int" --tosa-validate=strict-op-spec-alignment -o /dev/null
// DOUBLE-COUNT-3: rounding_mode = DOUBLE_ROUND

// Structure survives: a pruned model's int8 weights still verify.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-prune{sparsity=0.5},coopt-fake-quant{preserve-sparsity=true},coopt-lower-int8,coopt-verify-structure)' | FileCheck %s --check-prefix=SPARSE
// SPARSE-LABEL: func.func @main(
// SPARSE: tensor<4x1x1x2xi8>}> {coopt.quant = {{.*}}, coopt.structure = {pattern = "unstructured", sparsity = 5.000000e-01 : f64}}

// A fused clamp narrower than the range becomes an i8 clamp (6 / (8/255) -> code 63);
// an op without an int8 lowering stays float between dequantize and quantize.
// RUN: coopt-opt %S/Inputs/int8-fallback.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8)' 2>%t.err | FileCheck %s --check-prefix=FALLBACK
// RUN: FileCheck %s --check-prefix=REMARK < %t.err
// FALLBACK-LABEL: func.func @main(
// FALLBACK: %[[R:.*]] = tosa.rescale
// FALLBACK-NEXT: %[[CL:.*]] = tosa.clamp %[[R]] {max_val = 63 : i8, min_val = -128 : i8}
// FALLBACK-NEXT: %[[DQ:.*]] = tosa.cast %[[CL]] : (tensor<1x1x1x2xi8>) -> tensor<1x1x1x2xf32>
// FALLBACK: %[[G:.*]] = tosa.sigmoid
// FALLBACK: tosa.mul %[[G]]
// FALLBACK: tosa.cast {{.*}} -> tensor<1x1x1x2xi8>
// REMARK: remark: 'gate': coopt-lower-int8: tosa.sigmoid 'gate' stays float between dequantize and quantize
// strict=true makes it an error, and nothing is written.
// RUN: not coopt-opt %S/Inputs/int8-fallback.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8{strict=true})' -o %t.strict 2>&1 | FileCheck %s --check-prefix=STRICT
// RUN: not test -e %t.strict
// STRICT: error: 'gate': coopt-lower-int8: tosa.sigmoid 'gate' cannot be lowered to int8 (strict=true)

// Deterministic.
// RUN: coopt-opt %S/Inputs/quant-model.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8)' -o %t.again.mlir
// RUN: cmp %t.i8.mlir %t.again.mlir

// Element-wise add of two quantized activations (a residual block): both
// inputs rescaled to a common i32 grid (2 * max scale / 2^20), added in i32,
// rescaled to the output; nothing stays float, and it validates.  The
// (exact) fake-quant graph's add runs in f64 on the same rescaled codes (its
// output requantization in the split form).
// RUN: coopt-opt %S/Inputs/int8-residual.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8{strict=true})' -o %t.res.mlir
// RUN: FileCheck %s --check-prefix=RESIDUAL < %t.res.mlir
// RUN: mlir-opt %t.res.mlir --tosa-attach-target="profiles=pro_int,pro_fp" --tosa-validate=strict-op-spec-alignment -o /dev/null
// RUN: coopt-opt %S/Inputs/int8-residual.mlir -p 'builtin.module(coopt-fake-quant)' -o %t.res-fq.mlir
// RUN: FileCheck %s --check-prefix=RESIDUAL-FQ < %t.res-fq.mlir
// RESIDUAL-FQ: %[[SUM:.*]] = tosa.add %{{.*}}, %{{.*}} : (tensor<1x2x2x4xf64>, tensor<1x2x2x4xf64>) -> tensor<1x2x2x4xf64>
// RESIDUAL-FQ: tosa.mul %[[SUM]], {{.*}} {coopt.exact}
// The textbook form lowers to the same int8 graph.
// RUN: coopt-opt %S/Inputs/int8-residual.mlir -p 'builtin.module(coopt-fake-quant{exact=false},coopt-lower-int8{strict=true})' -o %t.res-tb.i8.mlir
// RUN: cmp %t.res.mlir %t.res-tb.i8.mlir
// RESIDUAL-LABEL: func.func @main(
// RESIDUAL: %[[A:.*]] = tosa.rescale %{{.*}} {{.*}}per_channel = false{{.*}} : (tensor<1x2x2x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x2x2x4xi32>
// RESIDUAL: %[[B:.*]] = tosa.rescale %{{.*}} : (tensor<1x2x2x4xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<1x2x2x4xi32>
// RESIDUAL: %[[S:.*]] = tosa.add %[[A]], %[[B]] : (tensor<1x2x2x4xi32>, tensor<1x2x2x4xi32>) -> tensor<1x2x2x4xi32>
// RESIDUAL: tosa.rescale %[[S]], {{.*}} : (tensor<1x2x2x4xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x2x2x4xi8>
