// RUN: not coopt-opt %s -p 'builtin.module(coopt-lower-int8{interface=bytes})' 2>&1 | FileCheck %s --check-prefix=IF
// IF: error: option 'interface' has no value 'bytes' (expected one of float|int8)
// RUN: not coopt-opt %s -p 'builtin.module(coopt-lower-int8{rounding=up})' 2>&1 | FileCheck %s --check-prefix=ROUND
// ROUND: error: option 'rounding' has no value 'up' (expected one of single|double)
// RUN: coopt-opt %s --split-input-file --verify-diagnostics -p 'builtin.module(coopt-lower-int8)' -o /dev/null
// RUN: not coopt-opt %s --split-input-file -p 'builtin.module(coopt-lower-int8)' -o %t 2>/dev/null
// RUN: not test -e %t
// Out-of-range requantization: only reachable through coopt-fake-quant.
// RUN: not coopt-opt %S/Inputs/int8-huge-multiplier.mlir -p 'builtin.module(coopt-fake-quant,coopt-lower-int8)' 2>&1 | FileCheck %s --check-prefix=MULT
// MULT: error: 'huge': coopt-lower-int8: tosa.conv2d 'huge': requantization multiplier {{.*}} (channel 0) is outside what tosa.rescale can represent

// A graph that was never calibrated and fake-quantized: the error names the op.
func.func @main(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.5]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt-lower-int8: the input of tosa.conv2d has no quantization parameters: run coopt-calibrate and coopt-fake-quant first}}
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// Activations fake-quantized by hand, weights not.
func.func @main(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x1xf32> {
  %inv = "tosa.const"() <{values = dense<127.5> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %s = "tosa.const"() <{values = dense<0.00784313772> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %sh = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.mul %x, %inv, %sh : (tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x1x2xf32>
  %1 = tosa.add %0, %zp : (tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x2xf32>
  %2 = tosa.cast %1 : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xi8>
  %3 = tosa.cast %2 : (tensor<1x1x1x2xi8>) -> tensor<1x1x1x2xf32>
  %4 = tosa.sub %3, %zp : (tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x2xf32>
  %5 = tosa.mul %4, %s, %sh {coopt.fake_quant = {scale = 0.0078431372549019607 : f64, zero_point = 0 : i64}} : (tensor<1x1x1x2xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x1x2xf32>
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.5]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt-lower-int8: the weights of tosa.conv2d are not fake-quantized: run coopt-fake-quant first}}
  %y = tosa.conv2d %5, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// coopt.fake_quant on an op that does not end a chain.
func.func @main(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %s = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = "tosa.const"() <{values = dense<1.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  // expected-error@+1 {{coopt-lower-int8: coopt.fake_quant on an op that does not end a fake-quant chain (mul, add, cast to i8, cast to f32, sub, mul)}}
  %y = tosa.mul %x, %c, %s {coopt.fake_quant = {scale = 1.0 : f64, zero_point = 0 : i64}} : (tensor<1x2xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
