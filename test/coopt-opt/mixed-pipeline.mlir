// coopt and upstream passes in one pipeline, at any nesting level.
// RUN: coopt-opt %s --pass-pipeline='builtin.module(func.func(canonicalize{max-iterations=4}),coopt-stats{format=json},cse,func.func(cse))' --dump-pass-pipeline -o %t.mlir 2> %t.dump | FileCheck %s --check-prefix=STATS
// RUN: FileCheck %s --check-prefix=DUMP < %t.dump
// RUN: FileCheck %s --check-prefix=IR < %t.mlir
// The same pipeline through the short flag, and the dumped form re-parses.
// RUN: coopt-opt %s -p "$(tail -n 1 %t.dump)" -o - | FileCheck %s --check-prefix=IR

// DUMP: Pass Manager with coopt-opt:
// DUMP-NEXT: builtin.module(func.func(canonicalize{ {{.*}}max-iterations=4{{.*}}}),coopt-stats{format=json output=- ops=conv2d,depthwise_conv2d,transpose_conv2d,matmul},cse,func.func(cse))

// STATS: "op": "tosa.conv2d"
// STATS: "zeros": 4

// canonicalize folded the add of zero; the conv and its weight stay.
// IR-LABEL: func.func @main
// IR-NOT: tosa.add
// IR: tosa.conv2d
func.func @main(%x: tensor<1x4x4x2xf32>) -> tensor<1x4x4x3xf32> {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 1.0]]], [[[2.0, 0.0]]], [[[0.0, 0.0]]]]> : tensor<3x1x1x2xf32>}> : () -> tensor<3x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32>
  %zero = "tosa.const"() <{values = dense<0.0> : tensor<1x4x4x3xf32>}> : () -> tensor<1x4x4x3xf32>
  %r = tosa.add %y, %zero : (tensor<1x4x4x3xf32>, tensor<1x4x4x3xf32>) -> tensor<1x4x4x3xf32>
  return %r : tensor<1x4x4x3xf32>
}
