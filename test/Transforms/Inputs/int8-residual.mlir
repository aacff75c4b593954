// A residual block: conv+ReLU and a second conv, added, then ReLU6; the add
// of two quantized activations lowers to TFLite's rescale-add-rescale.
func.func @main(%x: tensor<1x2x2x4xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x2x2x4xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %w1 = "tosa.const"() <{values = dense<[[[[0.5, -0.25, 0.1, 0.0]]], [[[0.0, 1.0, -0.5, 0.2]]], [[[-0.75, 0.125, 0.3, 0.4]]], [[[0.3, 0.0, 0.9, -0.1]]]]> : tensor<4x1x1x4xf32>}> : () -> tensor<4x1x1x4xf32>
  %b1 = "tosa.const"() <{values = dense<[0.1, -0.2, 0.0, 0.05]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x4xf32> loc("conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32, coopt.range = array<f64: 0.0, 2.0>} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> loc("relu1")
  %w2 = "tosa.const"() <{values = dense<[[[[0.2, 0.3, -0.4, 0.5]]], [[[-0.6, 0.1, 0.2, 0.3]]], [[[0.7, -0.2, 0.1, 0.0]]], [[[0.1, 0.1, 0.1, 0.1]]]]> : tensor<4x1x1x4xf32>}> : () -> tensor<4x1x1x4xf32>
  %b2 = "tosa.const"() <{values = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %c2 = tosa.conv2d %x, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, coopt.range = array<f64: -1.5, 1.5>} : (tensor<1x2x2x4xf32>, tensor<4x1x1x4xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x4xf32> loc("conv2")
  %s = tosa.add %r1, %c2 : (tensor<1x2x2x4xf32>, tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> loc("residual")
  %y = tosa.clamp %s {min_val = 0.0 : f32, max_val = 6.0 : f32, coopt.range = array<f64: 0.0, 3.0>} : (tensor<1x2x2x4xf32>) -> tensor<1x2x2x4xf32> loc("relu6")
  return %y : tensor<1x2x2x4xf32>
}
