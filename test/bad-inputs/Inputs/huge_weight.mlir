// A splat weight of 2^32 x 2^32 x 2 elements: valid MLIR (a splat holds one
// value), but no pass may expand it.
func.func @main(%a: tensor<1x1x4294967296xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<1.0> : tensor<1x4294967296x2xf32>}> : () -> tensor<1x4294967296x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %a, %w, %z, %z : (tensor<1x1x4294967296xf32>, tensor<1x4294967296x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}
