// A 1x1 conv + ReLU with a bias: small enough to compute ranges by hand.
//   ch0 = x0            -> ReLU: 1, 0, 0
//   ch1 = x1 + x3 + 0.5 -> ReLU: 1.5, 0.5, 3.5
func.func @main(%x: tensor<1x1x1x4xf32>) -> tensor<1x1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.0, 0.0, 0.0]]], [[[0.0, 1.0, 0.0, 1.0]]]]> : tensor<2x1x1x4xf32>}> : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<[0.0, 0.5]> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32> loc("conv")
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> loc("relu")
  return %r : tensor<1x1x1x2xf32>
}
