# Offline: fmnist-1.npy, the first image of test/Integration/Compiled/Inputs/fmnist-10.npy
# ([1, 1, 28, 28] f32, normalised as models/dscnn.onnx expects), for the
# linked-leaf test in explore-dscnn.test.  Plain Python: .npy v1 is a
# 10-byte preamble, a header and the raw data.
import struct

src = open("../../Integration/Compiled/Inputs/fmnist-10.npy", "rb").read()
assert src[:6] == b"\x93NUMPY" and src[6] == 1
data = src[10 + struct.unpack("<H", src[8:10])[0]:][: 784 * 4]
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
open("fmnist-1.npy", "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)
