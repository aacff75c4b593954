// format=table (the default)
// RUN: coopt-opt %s -p 'builtin.module(coopt-stats)' -o /dev/null | FileCheck %s --check-prefix=TABLE
// TABLE:      op{{ +}}location{{ +}}shape{{ +}}elements   zero%  distinct  max/ch        f32 B      int8 B    sparse B   palette B
// TABLE-NEXT: tosa.conv2d {{.*}}coopt-stats-options.mlir:[[@LINE+20]]:8 3x1x1x2 6 50.00 3 2 24 6 4 5
// TABLE-NEXT: tosa.matmul fc 1x2x2 4 0.00 4 2 16 4 5 4
// TABLE-NEXT: total (2 tensors) 10 30.00 40 10 9 9

// output=path writes the report there, not to stdout.
// RUN: coopt-opt %s -p 'builtin.module(coopt-stats{format=json output=%t.json})' -o %t.mlir | FileCheck %s --check-prefix=QUIET --allow-empty
// RUN: FileCheck %s --check-prefix=FILE < %t.json
// QUIET-NOT: "weights"
// FILE: "tensors": 2

// ops= selects op kinds.
// RUN: coopt-opt %s -p 'builtin.module(coopt-stats{format=json ops=matmul})' -o /dev/null | FileCheck %s --check-prefix=OPS
// OPS-NOT: tosa.conv2d
// OPS: "op": "tosa.matmul",
// OPS-NEXT: "loc": "fc",
// OPS: "tensors": 1,
func.func @model(%x: tensor<1x4x4x2xf32>, %a: tensor<1x1x2xf32>) -> (tensor<1x4x4x3xf32>, tensor<1x1x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[[[0.0, 1.0]]], [[[2.0, 0.0]]], [[[0.0, 2.0]]]]> : tensor<3x1x1x2xf32>}> : () -> tensor<3x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<3xf32>}> : () -> tensor<3xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<3x1x1x2xf32>, tensor<3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x3xf32>
  %fw = "tosa.const"() <{values = dense<[[[1.0, 2.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>}> : () -> tensor<1x2x2xf32>
  %m = tosa.matmul %a, %fw, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32> loc("fc")
  return %y, %m : tensor<1x4x4x3xf32>, tensor<1x1x2xf32>
}
