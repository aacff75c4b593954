func.func @f(%x: tensor<1x2x2x8xf32>, %a: tensor<1x1x8xf32>) -> (tensor<1x2x2x2xf32>, tensor<1x1x2xf32>) {
  %w = "tosa.const"() <{values = dense<[[[[0.9, -0.1, 0.4, -0.7, 0.3, 0.05, -0.6, 0.2]]], [[[-0.3, 0.8, -0.25, 0.15, 0.6, -0.45, 0.35, -0.9]]]]> : tensor<2x1x1x8xf32>}> : () -> tensor<2x1x1x8xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x2x2x8xf32>, tensor<2x1x1x8xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x2x2x2xf32> loc("conv")
  %fw = "tosa.const"() <{values = dense<[[[0.1, -0.2], [0.3, 0.4], [-0.5, 0.6], [0.7, -0.8], [0.15, 0.25], [-0.35, 0.45], [0.55, -0.65], [0.75, 0.85]]]> : tensor<1x8x2xf32>}> : () -> tensor<1x8x2xf32>
  %m = tosa.matmul %a, %fw, %z, %z : (tensor<1x1x8xf32>, tensor<1x8x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x2xf32> loc("fc")
  return %y, %m : tensor<1x2x2x2xf32>, tensor<1x1x2xf32>
}
