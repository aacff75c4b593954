// Clustered weights for coopt-fake-quant's preserve-clusters tests.
//   @close:   per-tensor codebook {1.0, 0.997, -1.0, 0}: on the plain grid
//             (scale 1/127) 1.0 and 0.997 share code 127; a slightly coarser
//             grid separates them.
//   @shared:  per-tensor codebook {1.0, 0.5, 0.31} over two channels: one
//             scale per channel would give 0.31 two different codes.
//   @crowded: 1.0, 0.9999, 0.9998 cannot be kept apart by any scale.
func.func @close(%x: tensor<1x1x1x4xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.997, -1.0, 0.0]]], [[[0.997, 0.0, 1.0, -1.0]]]]> : tensor<2x1x1x4xf32>}> {coopt.structure = {clusters = 4 : i64, per_channel = false}} : () -> tensor<2x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, coopt.range = array<f64: -4.0, 4.0>} : (tensor<1x1x1x4xf32>, tensor<2x1x1x4xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32> loc("close")
  return %y : tensor<1x1x1x2xf32>
}
func.func @shared(%x: tensor<1x1x1x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x1x1x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.31]]], [[[0.5, 0.31]]]]> : tensor<2x1x1x2xf32>}> {coopt.structure = {clusters = 3 : i64, per_channel = false}} : () -> tensor<2x1x1x2xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<2xf32>}> : () -> tensor<2xf32>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, coopt.range = array<f64: -2.0, 2.0>} : (tensor<1x1x1x2xf32>, tensor<2x1x1x2xf32>, tensor<2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32> loc("shared")
  return %y : tensor<1x1x1x2xf32>
}
func.func @crowded(%x: tensor<1x1x1x4xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x1x1x1xf32> {
  %w = "tosa.const"() <{values = dense<[[[[1.0, 0.9999, 0.9998, 0.0]]]]> : tensor<1x1x1x4xf32>}> {coopt.structure = {clusters = 4 : i64, per_channel = true, sparsity = 2.500000e-01 : f64}} : () -> tensor<1x1x1x4xf32>
  %b = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %y = tosa.conv2d %x, %w, %b, %b, %b {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>, coopt.range = array<f64: -4.0, 4.0>} : (tensor<1x1x1x4xf32>, tensor<1x1x1x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x1xf32> loc("crowded")
  return %y : tensor<1x1x1x1xf32>
}
