// Fashion-MNIST-shaped input through a clamp: the argument's range is the
// normalised pixel range.
func.func @main(%x: tensor<1x28x28xf32>) -> tensor<1x28x28xf32> {
  %r = tosa.clamp %x {min_val = -1.0 : f32, max_val = 0.5 : f32} : (tensor<1x28x28xf32>) -> tensor<1x28x28xf32> loc("clip")
  return %r : tensor<1x28x28xf32>
}
