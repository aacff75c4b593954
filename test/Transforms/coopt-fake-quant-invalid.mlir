// RUN: not coopt-opt %s -p 'builtin.module(coopt-fake-quant{bits=4})' 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: invalid options for 'coopt-fake-quant': bits=4 is not supported yet: coopt quantizes to int8 only
// RUN: not coopt-opt %s -p 'builtin.module(coopt-fake-quant{bits=1})' 2>&1 | FileCheck %s --check-prefix=BITS1
// BITS1: error: option 'bits' value 1 is out of range (must be in [2, 16])
// RUN: not coopt-opt %s -p 'builtin.module(coopt-fake-quant{preserve-clusters=maybe})' 2>&1 | FileCheck %s --check-prefix=BOOL
// BOOL: error: option 'preserve-clusters' expects true or false, got 'maybe'
// RUN: not coopt-opt %s -p 'builtin.module(coopt-fake-quant{exact=yes})' 2>&1 | FileCheck %s --check-prefix=EXACT
// EXACT: error: option 'exact' expects true or false, got 'yes'
// A point without a range: an error naming the tensor; no output file.
// RUN: coopt-opt %s --split-input-file --verify-diagnostics -p 'builtin.module(coopt-fake-quant)' -o /dev/null
// RUN: not coopt-opt %s --split-input-file -p 'builtin.module(coopt-fake-quant)' -o %t 2>/dev/null
// RUN: not test -e %t

// expected-error@+1 {{coopt-fake-quant: no range for function argument #0 ('x'): run coopt-calibrate first}}
func.func @main(%x: tensor<1x1x1x2xf32>) -> tensor<1x1x1x1xf32> attributes {coopt.input_names = ["x"]} {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.5]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt-fake-quant: no range for the output of tosa.conv2d: run coopt-calibrate first}}
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}

// -----

// A malformed range counts as none.
func.func @main(%x: tensor<1x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
  // expected-error@+1 {{coopt-fake-quant: no range for the output of tosa.clamp: run coopt-calibrate first}}
  %y = tosa.clamp %x {min_val = 0.0 : f32, max_val = 1.0 : f32, coopt.range = array<f64: 2.0, 1.0>} : (tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Fake-quantizing twice would quantize the chains themselves.
func.func @main(%x: tensor<1x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x2xf32> {
  %s = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %c = "tosa.const"() <{values = dense<1.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  // expected-error@+1 {{coopt-fake-quant: the function is already fake-quantized}}
  %y = tosa.mul %x, %c, %s {coopt.fake_quant = {scale = 1.0 : f64, zero_point = 0 : i64}} : (tensor<1x2xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Non-finite weights cannot be quantized.
func.func @main(%x: tensor<1x1x1x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0x7FC00000]]]]> : tensor<1x1x1x2xf32>}> : () -> tensor<1x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  // expected-error@+1 {{coopt-fake-quant: tosa.conv2d weight 1x1x1x2 has a non-finite value (nan) at index 1}}
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, coopt.range = array<f64: -1.0, 1.0>} : (tensor<1x1x1x2xf32>, tensor<1x1x1x2xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32>
  return %y : tensor<1x1x1x1xf32>
}
