// An entry whose input has 2^62 elements.
func.func @main(%a: tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32> {
  %r = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32>
  return %r : tensor<4611686018427387904xf32>
}
