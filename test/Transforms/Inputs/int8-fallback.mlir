// conv + ReLU6 whose calibrated range [0, 8] is wider than the clamp (so the
// clamp survives as an i8 clamp), then a sigmoid coopt-lower-int8 cannot
// lower, which stays float between a dequantize and a quantize.
func.func @main(%x: tensor<1x1x1x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.5]]], [[[-0.5, 2.0]]]]> : tensor<2x1x1x2xf32>}> : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %c = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x1x1x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32> loc("conv")
  %r = tosa.clamp %c {min_val = 0.0 : f32, max_val = 6.0 : f32, coopt.range = array<f64: 0.0, 8.0>} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> loc("relu6")
  %s = tosa.sigmoid %r {coopt.range = array<f64: 0.0, 1.0>} : (tensor<1x1x1x2xf32>) -> tensor<1x1x1x2xf32> loc("gate")
  return %s : tensor<1x1x1x2xf32>
}
