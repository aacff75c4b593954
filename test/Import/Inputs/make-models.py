#!/usr/bin/python3
"""Generate the small ONNX models used by the importer lit tests (offline;
the .onnx files are committed).  /usr/bin/python3 with python3-onnx."""
import os
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, graph, opset=13):
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="coopt-tests")
    m.ir_version = 8
    onnx.save(m, os.path.join(HERE, name))


rng = np.random.default_rng(0)
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])
y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])
w = numpy_helper.from_array(rng.standard_normal((3, 2, 3, 3)).astype(np.float32), "w")
b = numpy_helper.from_array(np.array([0.5, -1.0, 2.0], np.float32), "b")
conv = helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv1", pads=[1, 1, 1, 1])
relu = helper.make_node("Relu", ["c"], ["y"], name="relu1")
# A small conv + relu: the happy path
save("conv_relu.onnx", helper.make_graph([conv, relu], "g", [x], [y], [w, b]))
# A node reads a value nobody defines
bad = helper.make_node("Relu", ["nowhere"], ["y"], name="dangling_relu")
save("dangling.onnx", helper.make_graph([bad], "g", [x], [y], []))
# An initializer without data
empty = TensorProto()
empty.name = "w"
empty.data_type = TensorProto.FLOAT
empty.dims.extend([3, 2, 3, 3])
save("missing_init_data.onnx", helper.make_graph([conv, relu], "g", [x], [y], [empty, b]))
# An opset from the future
save("opset99.onnx", helper.make_graph([conv, relu], "g", [x], [y], [w, b]), opset=99)
# A dynamic batch dimension
xd = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 4])
yd = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 4, 4])
save("dynamic_batch.onnx", helper.make_graph([conv, relu], "g", [xd], [yd], [w, b]))
# An unsupported attribute value and an unsupported op
pool = helper.make_node("MaxPool", ["x"], ["y"], name="pool_dilated", kernel_shape=[2, 2], dilations=[2, 2])
save("unsupported_attr.onnx", helper.make_graph([pool], "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 2, 2])], []))
erf = helper.make_node("Erf", ["x"], ["y"], name="the_erf")
save("unsupported_op.onnx", helper.make_graph([erf], "g", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4])], []))
# Flatten after a 2x2 spatial map (needs NCHW order) feeding a Gemm
xf = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 2, 2])
gw = numpy_helper.from_array(rng.standard_normal((3, 8)).astype(np.float32), "gw")
flat = helper.make_node("Flatten", ["x"], ["f"], name="flatten")
gemm = helper.make_node("Gemm", ["f", "gw"], ["y"], name="fc", transB=1)
save("flatten_gemm.onnx", helper.make_graph([flat, gemm], "g", [xf], [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])], [gw]))

# QDQ graphs with inconsistent quantization parameters.
def qdq(name, scale, zp, axis=1):
    xq = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 2, 2])
    yq = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 2, 2])
    s = numpy_helper.from_array(np.array(scale, np.float32), "s")
    z = numpy_helper.from_array(np.array(zp, np.int8), "z")
    q = helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="quant", axis=axis)
    d = helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dequant", axis=axis)
    save(name, helper.make_graph([q, d], "g", [xq], [yq], [s, z]))


qdq("qdq_ok.onnx", [0.5, 0.25, 0.125], [0, 1, -1])
qdq("qdq_zero_scale.onnx", 0.0, 0)
qdq("qdq_nan_scale.onnx", float("nan"), 0)
qdq("qdq_axis_mismatch.onnx", [0.5, 0.25], [0, 0])
qdq("qdq_zp_mismatch.onnx", [0.5, 0.25, 0.125], 0)

# A per-tensor QDQ graph whose quantizers state the activation ranges:
# input -> Q/DQ -> conv -> relu -> Q/DQ.  The importer records them as
# coopt.range; coopt-calibrate keeps them.  Plus calibration data for it.
def qdq_ranges():
    def qparams(tag, s, z):
        return [numpy_helper.from_array(np.array(s, np.float32), "s" + tag),
                numpy_helper.from_array(np.array(z, np.int8), "z" + tag)]
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "s_in", "z_in"], ["xq"], name="quant_in"),
        helper.make_node("DequantizeLinear", ["xq", "s_in", "z_in"], ["xd"], name="dequant_in"),
        helper.make_node("Conv", ["xd", "w", "b"], ["c"], name="conv1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu1"),
        helper.make_node("QuantizeLinear", ["r", "s_out", "z_out"], ["rq"], name="quant_out"),
        helper.make_node("DequantizeLinear", ["rq", "s_out", "z_out"], ["y"], name="dequant_out"),
    ]
    inits = [w, b] + qparams("_in", 0.03125, 0) + qparams("_out", 0.0625, -128)
    save("qdq_ranges.onnx", helper.make_graph(nodes, "g", [x], [y], inits))
    np.save(os.path.join(HERE, "qdq_ranges_calib.npy"), rng.standard_normal((8, 2, 4, 4)).astype(np.float32))


qdq_ranges()
