// A coopt.structure record that is not a dictionary.
func.func @main(%a: tensor<1x1x2xf32>) -> tensor<1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[1.0, 0.0], [3.0, 4.0]]]> : tensor<1x2x2xf32>}> {coopt.structure = "half of it"} : () -> tensor<1x2x2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %m = tosa.matmul %a, %w, %z, %z : (tensor<1x1x2xf32>, tensor<1x2x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32>
  return %m : tensor<1x1x2xf32>
}
