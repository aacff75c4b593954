#!/usr/bin/python3
"""Generate the committed inputs of the bad-input corpus (offline; the files
are committed, the corpus does not need Python).  /usr/bin/python3 with
python3-onnx and python3-numpy.  Inputs derived from the bundled models or
Debian's test data at test time are made by make-inputs.sh (beside this file) instead."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="coopt-tests")
    m.ir_version = 8
    # No checker: these models are wrong on purpose.
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(m.SerializeToString())


def vi(name, shape, dtype=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, dtype, shape)


rng = np.random.default_rng(0)
x = vi("x", [1, 2, 4, 4])
y = vi("y", [1, 3, 4, 4])
w = numpy_helper.from_array(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), "w")
conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv1", pads=[1, 1, 1, 1])

# An initializer that claims 10^9 x 10^9 floats and carries 4 bytes.
huge = TensorProto()
huge.name = "w"
huge.data_type = TensorProto.FLOAT
huge.dims.extend([1000000000, 1000000000])
huge.raw_data = b"\0\0\0\0"
save("huge_initializer.onnx", [helper.make_node("MatMul", ["x2", "w"], ["y"], name="mm")],
     [vi("x2", [1, 1000000000])], [vi("y", [1, 1000000000])], [huge])
# A graph input of 2^31 x 2^31 x 2^31 elements.
save("huge_input.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
     [vi("x", [2147483648, 2147483648, 2147483648])], [vi("y", [2147483648, 2147483648, 2147483648])])
# A negative dimension.
save("negative_dim.onnx", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, -3, 4, 4])],
     [vi("y", [1, -3, 4, 4])])
# Conv weights whose input channels (5) do not match the input's (2).
w5 = numpy_helper.from_array(rng.standard_normal((3, 5, 3, 3)).astype(np.float32), "w")
save("conv_channels_mismatch.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv1", pads=[1, 1, 1, 1])],
     [x], [y], [w5])
# Two nodes that read each other's outputs.
save("cycle.onnx", [helper.make_node("Relu", ["b"], ["a"], name="first"), helper.make_node("Relu", ["a"], ["b"], name="second")],
     [x], [vi("b", [1, 2, 4, 4])])
# A graph that produces nothing.
save("no_outputs.onnx", [helper.make_node("Relu", ["x"], ["r"], name="relu")], [x], [])
# A string-typed graph input.
save("string_input.onnx", [helper.make_node("Identity", ["x"], ["y"], name="id")], [vi("x", [1, 4], TensorProto.STRING)],
     [vi("y", [1, 4], TensorProto.STRING)])
# Weights with NaN and Inf: importable, but no compression pass may quietly
# turn them into numbers.
wn = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
wn[0, 0, 0, 0] = np.nan
wn[1, 1, 1, 1] = np.inf
save("nan_weights.onnx", [conv], [x], [y], [numpy_helper.from_array(wn, "w")])
# Raw data shorter than the dims claim (54 floats, 10 given).
short = TensorProto()
short.name = "w"
short.data_type = TensorProto.FLOAT
short.dims.extend([3, 2, 3, 3])
short.raw_data = np.zeros(10, np.float32).tobytes()
save("short_raw_data.onnx", [conv], [x], [y], [short])
# Conv with a group count that does not divide the channels.
save("conv_bad_group.onnx", [helper.make_node("Conv", ["x", "w"], ["y"], name="conv1", pads=[1, 1, 1, 1], group=3)],
     [x], [y], [w])
# Gemm on a rank-3 input.
gw = numpy_helper.from_array(rng.standard_normal((3, 4)).astype(np.float32), "gw")
save("gemm_rank3.onnx", [helper.make_node("Gemm", ["x3", "gw"], ["y"], name="fc", transB=1)],
     [vi("x3", [1, 2, 4])], [vi("y", [1, 3])], [gw])
# A Reshape whose target shape is a graph input (needs --bind).
save("reshape_dynamic.onnx", [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
     [x, vi("shape", [2], TensorProto.INT64)], [vi("y", [1, 32])])

# Calibration / input tensors (.npy) for the DS-CNN interface [N, 1, 28, 28].
def npy(name, a):
    np.save(os.path.join(HERE, name), a, allow_pickle=False)


calib = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
a = calib.copy()
a[2, 0, 5, 5] = np.nan
npy("calib_nan.npy", a)
a = calib.copy()
a[1, 0, 7, 9] = np.inf
npy("calib_inf.npy", a)
npy("calib_wrong_shape.npy", rng.standard_normal((4, 3, 28, 28)).astype(np.float32))
npy("calib_int64.npy", np.zeros((4, 1, 28, 28), np.int64))
npy("input_one.npy", calib[:1])
npy("input_f64.npy", calib[:1].astype(np.float64))
npy("input_big_endian.npy", calib[:1].astype(">f4"))
npy("input_fortran.npy", np.asfortranarray(rng.standard_normal((1, 1, 28, 28)).astype(np.float32)))
npy("input_wrong_shape.npy", rng.standard_normal((1, 1, 27, 28)).astype(np.float32))
npy("input_scalar.npy", np.float32(1.0))

# Pathological but valid models (test/bad-inputs/pathological.test): they
# must compile and run, or fail with a diagnostic.
# The smallest: a 1x1x1x1 input through a 1x1 convolution of one channel.
save("tiny_conv.onnx", [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="tiny")], [vi("x", [1, 1, 1, 1])],
     [vi("y", [1, 1, 1, 1])], [numpy_helper.from_array(np.array([[[[0.75]]]], np.float32), "w"),
                               numpy_helper.from_array(np.array([0.25], np.float32), "b")])
npy("tiny_calib.npy", rng.standard_normal((16, 1, 1, 1)).astype(np.float32))
# A 4096-channel layer: 4 -> 4096 pointwise, 3x3 depthwise over 4096, 4096 -> 4.
C = 4096
save("wide_4096.onnx", [
    helper.make_node("Conv", ["x", "w1"], ["a"], name="expand"),
    helper.make_node("Relu", ["a"], ["ar"], name="relu1"),
    helper.make_node("Conv", ["ar", "w2"], ["d"], name="depthwise", group=C, pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["d"], ["dr"], name="relu2"),
    helper.make_node("Conv", ["dr", "w3"], ["y"], name="project")],
    [vi("x", [1, 4, 4, 4])], [vi("y", [1, 4, 4, 4])],
    [numpy_helper.from_array((rng.standard_normal((C, 4, 1, 1)) * 0.5).astype(np.float32), "w1"),
     numpy_helper.from_array((rng.standard_normal((C, 1, 3, 3)) * 0.3).astype(np.float32), "w2"),
     numpy_helper.from_array((rng.standard_normal((4, C, 1, 1)) * 0.02).astype(np.float32), "w3")])
npy("wide_calib.npy", rng.standard_normal((160, 4, 4, 4)).astype(np.float32))
npy("wide_input.npy", rng.standard_normal((1, 4, 4, 4)).astype(np.float32))
npy("tiny_input.npy", rng.standard_normal((1, 1, 1, 1)).astype(np.float32))
