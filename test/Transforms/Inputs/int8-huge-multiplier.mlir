// Weights of 1e6 and an output range of 1e-12: in_scale * w_scale / out_scale
// is about 1.6e13, far beyond what a Q31 multiplier with shift >= 2 can hold.
func.func @main(%x: tensor<1x1x1x1xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense<1.0e6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, coopt.range = array<f64: 0.0, 1.0e-12>} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("huge")
  return %y : tensor<1x1x1x1xf32>
}
