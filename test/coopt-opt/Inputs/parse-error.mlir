func.func @f(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tosa.abs %a : (tensor<2xf32>) -> tensor<2xf32>
  %1 = tosa.bogus %0 : tensor<2xf32>
  return %1 : tensor<2xf32>
}
