// A padded avg_pool2d (its divisor varies across the output) next to an
// unpadded one.
func.func @main(%x: tensor<1x4x4x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> (tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>) {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %p = tosa.avg_pool2d %x, %z, %z {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x2xf32> loc("padded")
  %g = tosa.avg_pool2d %x, %z, %z {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x2xf32> loc("global")
  return %p, %g : tensor<1x4x4x2xf32>, tensor<1x1x1x2xf32>
}
