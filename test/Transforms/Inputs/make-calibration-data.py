#!/usr/bin/python3
"""Writes the small calibration tensors the coopt-calibrate tests use
(offline tooling; the .npy files are committed).  Run: /usr/bin/python3 make-calibration-data.py"""
import numpy as np

# Three samples with hand-computable ranges (see coopt-calibrate.mlir).
np.save("calib3.npy", np.array([[1, -1, 0.5, 2], [0, 0, 0, 0], [-2, 3, 1, 0]], np.float32).reshape(3, 1, 1, 4))
# 1000 samples uniform in [0, 1) plus one outlier of 100: minmax keeps the
# outlier, percentile and mse clip it.
rng = np.random.default_rng(0)
x = rng.random((1000, 1, 1, 4), dtype=np.float32)
x[500, 0, 0, 2] = 100.0
np.save("calib-outlier.npy", x)
# Wrong shapes and types for the error tests.
np.save("calib-wrong-shape.npy", np.zeros((2, 3), np.float32))
np.save("calib-empty.npy", np.zeros((0, 1, 1, 4), np.float32))
np.save("calib-int.npy", np.zeros((2, 1, 1, 4), np.int32))
# An input for Inputs/quant-model.mlir.
np.save("quant-input.npy", rng.uniform(-1, 1, (1, 4, 4, 2)).astype(np.float32))
# Calibration inputs for Inputs/quant-model.mlir.
np.save("quant-calib.npy", rng.uniform(-1, 1, (64, 1, 4, 4, 2)).astype(np.float32))
# An input for Inputs/int8-residual.mlir.
np.save("residual-input.npy", rng.uniform(-1, 1, (1, 2, 2, 4)).astype(np.float32))
