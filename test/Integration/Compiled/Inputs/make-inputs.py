#!/usr/bin/python3
"""The first 10 Fashion-MNIST test images, normalised as the bundled models
expect (mean 0.286, std 0.353), as fmnist-10.npy [10,1,28,28] f32 (offline;
the file is committed)."""
import gzip
import numpy as np
raw = gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz").read()
x = np.frombuffer(raw, np.uint8, offset=16)[: 10 * 784].reshape(10, 1, 28, 28).astype(np.float32) / 255.0
np.save("fmnist-10.npy", ((x - 0.286) / 0.353).astype(np.float32))
