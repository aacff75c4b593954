module {
  func.func @main(%arg0: tensor<1x6x8x5xf32> {coopt.range = array<f64: -3.968750e+00, 3.968750e+00>}) -> tensor<1x1x1xf32> {
    %0 = "tosa.const"() <{values = dense<32.1259842> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %1 = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
    %2 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %3 = tosa.mul %arg0, %0, %2 : (tensor<1x6x8x5xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x6x8x5xf32>
    %4 = tosa.add %3, %1 : (tensor<1x6x8x5xf32>, tensor<1x1x1x1xf32>) -> tensor<1x6x8x5xf32>
    %5 = tosa.cast %4 : (tensor<1x6x8x5xf32>) -> tensor<1x6x8x5xi8>
    %6 = "tosa.const"() <{values = dense<[[[[-64, -79, -127, -79, 79]]], [[[-79, -127, 111, -127, -16]]], [[[-18, -73, 127, -73, 91]]], [[[102, 127, -102, -51, 51]]], [[[-64, -127, -64, -64, -64]]]]> : tensor<5x1x1x5xi8>}> {coopt.quant = {bits = 8 : i64, scales = array<f64: 0.015748031496062992, 0.015748031496062992, 0.013779527559055118, 0.0098425196850393699, 0.003937007874015748>}} : () -> tensor<5x1x1x5xi8>
    %7 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %8 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %9 = "tosa.const"() <{values = dense<[255, 255, 291, 408, 1020]> : tensor<5xi32>}> : () -> tensor<5xi32>
    %10 = tosa.conv2d %5, %6, %9, %7, %8 {acc_type = i32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 1, 0, 1>, stride = array<i64: 2, 2>} : (tensor<1x6x8x5xi8>, tensor<5x1x1x5xi8>, tensor<5xi32>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x5x5xi32>
    %11 = "tosa.const"() <{values = dense<[2069668946, 2069668946, 1810960328, 1293543092, 2069668946]> : tensor<5xi32>}> : () -> tensor<5xi32>
    %12 = "tosa.const"() <{values = dense<[39, 39, 39, 39, 41]> : tensor<5xi8>}> : () -> tensor<5xi8>
    %13 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
    %14 = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
    %15 = tosa.rescale %10, %11, %12, %13, %14 {input_unsigned = false, output_unsigned = false, per_channel = true, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x4x5x5xi32>, tensor<5xi32>, tensor<5xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x4x5x5xi8>
    %16 = tosa.const_shape  {values = dense<[1, 1, 100]> : tensor<3xindex>} : () -> !tosa.shape<3>
    %17 = tosa.reshape %15, %16 : (tensor<1x4x5x5xi8>, !tosa.shape<3>) -> tensor<1x1x100xi8>
    %18 = "tosa.const"() <{values = dense<1.170000e+02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %19 = "tosa.const"() <{values = dense<0.857838332> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
    %20 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %21 = "tosa.const"() <{values = dense<[[[16], [16], [16], [16], [16], [16], [16], [16], [16], [16], [-16], [-17], [-17], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-127], [-73], [-117], [16], [-22], [-79], [111], [-17], [-67], [-32], [-103], [-39], [-92], [127], [47], [56], [-1], [122], [-86], [77], [121], [59], [-96], [13], [-36], [-53], [-29], [1], [-102], [98]]]> : tensor<1x100x1xi8>}> {coopt.quant = {bits = 8 : i64, scales = array<f64: 0.014763779527559055>}} : () -> tensor<1x100x1xi8>
    %22 = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
    %23 = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
    %24 = tosa.matmul %17, %21, %22, %23 : (tensor<1x1x100xi8>, tensor<1x100x1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x1xi32>
    %25 = "tosa.const"() <{values = dense<1231971622> : tensor<1xi32>}> : () -> tensor<1xi32>
    %26 = "tosa.const"() <{values = dense<39> : tensor<1xi8>}> : () -> tensor<1xi8>
    %27 = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
    %28 = "tosa.const"() <{values = dense<117> : tensor<1xi8>}> : () -> tensor<1xi8>
    %29 = tosa.rescale %24, %25, %26, %27, %28 {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<1x1x1xi32>, tensor<1xi32>, tensor<1xi8>, tensor<1xi32>, tensor<1xi8>) -> tensor<1x1x1xi8>
    %30 = tosa.cast %29 : (tensor<1x1x1xi8>) -> tensor<1x1x1xf32>
    %31 = tosa.sub %30, %18 : (tensor<1x1x1xf32>, tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
    %32 = tosa.mul %31, %19, %20 {coopt.fake_quant = {scale = 0.85783835018382348 : f64, zero_point = 117 : i64}} : (tensor<1x1x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x1x1xf32>
    return %32 : tensor<1x1x1xf32>
  }
}

