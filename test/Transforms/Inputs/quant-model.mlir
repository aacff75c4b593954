// A miniature DS-CNN with ranges already recorded (as coopt-calibrate
// would): conv+ReLU, depthwise+ReLU6, avg_pool, matmul + bias (ONNX Gemm).
func.func @main(%x: tensor<1x4x4x2xf32> {coopt.range = array<f64: -1.0, 1.0>}) -> tensor<1x3xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %w1 = "tosa.const"() <{values = dense<[[[[0.5, -0.25]]], [[[0.0, 1.0]]], [[[-0.75, 0.125]]], [[[0.3, 0.0]]]]> : tensor<4x1x1x2xf32>}> : () -> tensor<4x1x1x2xf32>
  %b1 = "tosa.const"() <{values = dense<[0.1, -0.2, 0.0, 0.05]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %c1 = tosa.conv2d %x, %w1, %b1, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x2xf32>, tensor<4x1x1x2xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("conv1")
  %r1 = tosa.clamp %c1 {min_val = 0.0 : f32, max_val = 3.40282347E+38 : f32, coopt.range = array<f64: 0.0, 1.5>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("relu1")
  %w2 = "tosa.const"() <{values = dense<[[[[1.0], [0.5], [-0.5], [0.25]], [[0.0], [0.5], [1.0], [0.25]], [[0.25], [0.5], [-1.0], [0.0]]], [[[1.0], [0.5], [-0.5], [0.25]], [[0.0], [0.5], [1.0], [0.25]], [[0.25], [0.5], [-1.0], [0.0]]], [[[1.0], [0.5], [-0.5], [0.25]], [[0.0], [0.5], [1.0], [0.25]], [[0.25], [0.5], [-1.0], [0.0]]]]> : tensor<3x3x4x1xf32>}> : () -> tensor<3x3x4x1xf32>
  %b2 = "tosa.const"() <{values = dense<[0.0, 0.1, 0.2, 0.3]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %d2 = tosa.depthwise_conv2d %r1, %w2, %b2, %z, %z {acc_type = f32, dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<3x3x4x1xf32>, tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x4x4xf32> loc("dw2")
  %r2 = tosa.clamp %d2 {min_val = 0.0 : f32, max_val = 6.0 : f32, coopt.range = array<f64: 0.0, 6.0>} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> loc("relu6")
  %p = tosa.avg_pool2d %r2, %z, %z {acc_type = f32, kernel = array<i64: 4, 4>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x4x4x4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x1x4xf32> loc("pool")
  %s3 = tosa.const_shape {values = dense<[1, 1, 4]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %f = tosa.reshape %p, %s3 : (tensor<1x1x1x4xf32>, !tosa.shape<3>) -> tensor<1x1x4xf32> loc("flatten")
  %w3 = "tosa.const"() <{values = dense<[[[0.5, -0.5, 0.25], [1.0, 0.0, -1.0], [0.125, 0.75, 0.0], [-0.25, 0.5, 1.0]]]> : tensor<1x4x3xf32>}> : () -> tensor<1x4x3xf32>
  %m = tosa.matmul %f, %w3, %z, %z : (tensor<1x1x4xf32>, tensor<1x4x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x3xf32> loc("fc")
  %s2 = tosa.const_shape {values = dense<[1, 3]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %m2 = tosa.reshape %m, %s2 : (tensor<1x1x3xf32>, !tosa.shape<2>) -> tensor<1x3xf32> loc("fc_reshape")
  %b3 = "tosa.const"() <{values = dense<[[0.1, -0.1, 0.0]]> : tensor<1x3xf32>}> : () -> tensor<1x3xf32>
  %y = tosa.add %m2, %b3 {coopt.range = array<f64: -4.0, 4.0>} : (tensor<1x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32> loc("fc_bias")
  return %y : tensor<1x3xf32>
}
