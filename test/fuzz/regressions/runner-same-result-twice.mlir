// A model that returns one value twice (two outputs, one buffer).
func.func @main(%a: tensor<1x4xf32>) -> (tensor<1x4xf32>, tensor<1x4xf32>) {
  %r = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %r, %r : tensor<1x4xf32>, tensor<1x4xf32>
}
