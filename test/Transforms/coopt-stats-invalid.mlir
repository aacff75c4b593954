// RUN: not coopt-opt %s -p 'builtin.module(coopt-stats{format=csv})' 2>&1 | FileCheck %s --check-prefix=FORMAT
// FORMAT: <pipeline>:1:35: error: option 'format' has no value 'csv' (expected one of table|json)
// RUN: not coopt-opt %s -p 'builtin.module(coopt-stats{ops=conv3d})' 2>&1 | FileCheck %s --check-prefix=OPS
// OPS: error: option 'ops' has no value 'conv3d' (expected one of conv2d|depthwise_conv2d|transpose_conv2d|matmul)
// RUN: not coopt-opt %s -p 'builtin.module(coopt-stats{output})' 2>&1 | FileCheck %s --check-prefix=NOVALUE
// NOVALUE: error: option 'output' needs a value ('output=...')
// RUN: not coopt-opt %s -o %t -p 'builtin.module(coopt-stats{output=%S})' 2>&1 | FileCheck %s --check-prefix=WRITE
// WRITE: coopt-stats-invalid.mlir:1:1: error: coopt-stats: cannot write '{{.*}}'
// RUN: not test -e %t
func.func @f() {
  return
}
