// A batch of 0: TOSA has no empty tensors, so this is a verifier error.
func.func @main(%a: tensor<0x4xf32>) -> tensor<0x4xf32> {
  %r = tosa.clamp %a {max_val = 6.0 : f32, min_val = 0.0 : f32} : (tensor<0x4xf32>) -> tensor<0x4xf32>
  return %r : tensor<0x4xf32>
}
