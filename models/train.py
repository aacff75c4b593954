#!/usr/bin/python3
"""Train the two bundled Fashion-MNIST models and export them to ONNX.

Offline tooling (not part of `make check`): Debian's /usr/bin/python3 with
python3-torch and python3-onnx, CPU only, fixed seeds, deterministic
algorithms.  Data: Debian's dataset-fashion-mnist.

  /usr/bin/python3 models/train.py [--epochs N] [--only dscnn|mobilenet]

Writes, for each model: models/<name>.onnx (dynamic batch, NCHW [N,1,28,28],
normalisation in the ONNX metadata as normalize_mean / normalize_std),
models/<name>.torch-predictions.npy (torch's predicted class for each of the
10,000 test images, u8) and models/<name>.json (test accuracy, parameters).
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"
HERE = os.path.dirname(os.path.abspath(__file__))
MEAN, STD = 0.2860, 0.3530


def load_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def to_input(images):
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return ((x - MEAN) / STD).unsqueeze(1)


def conv_bn(cin, cout, k, stride, groups=1):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class DSCNN(nn.Module):
    """DS-CNN-style: a conv, 4 depthwise-separable blocks, average pool, FC."""

    def __init__(self, width=64, classes=10):
        super().__init__()
        layers = [conv_bn(1, width, 3, 1)]
        for stride in (2, 2, 1, 1):
            layers += [conv_bn(width, width, 3, stride, groups=width), conv_bn(width, width, 1, 1)]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(width, classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


class MobileNetV1(nn.Module):
    """MobileNet-v1-style at width 0.5 on 28x28 inputs."""

    CFG = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1),
           (512, 1), (512, 1), (1024, 2), (1024, 1)]

    def __init__(self, width=0.5, classes=10):
        super().__init__()
        c = int(32 * width)
        layers = [conv_bn(1, c, 3, 1)]
        for out, stride in self.CFG:
            o = int(out * width)
            layers += [conv_bn(c, c, 3, stride, groups=c), conv_bn(c, o, 1, 1)]
            c = o
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def evaluate(model, x, y):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(x), 500):
            preds.append(model(x[i:i + 500]).argmax(1))
    p = torch.cat(preds)
    return (p == y).float().mean().item(), p.numpy().astype(np.uint8)


def train(name, model, epochs, x, y, xt, yt):
    g = torch.Generator().manual_seed(1234)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5, nesterov=True)
    steps = epochs * (len(x) // 128)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        t0 = time.time()
        perm = torch.randperm(len(x), generator=g)
        for i in range(0, len(x) - 127, 128):
            idx = perm[i:i + 128]
            xb = x[idx]
            # light augmentation: random horizontal flips (deterministic generator)
            flip = torch.rand(len(idx), generator=g) < 0.5
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = F.cross_entropy(model(xb), y[idx], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        acc, _ = evaluate(model, xt, yt)
        print(f"{name}: epoch {epoch + 1}/{epochs} loss {loss.item():.3f} test {100 * acc:.2f}% ({time.time() - t0:.0f} s)",
              flush=True)
    return model


def export(name, model, acc, preds):
    model.eval()
    path = os.path.join(HERE, f"{name}.onnx")
    torch.onnx.export(model, torch.zeros(1, 1, 28, 28), path, opset_version=13, input_names=["input"],
                      output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      do_constant_folding=True)
    m = onnx.load(path)
    for k, v in (("normalize_mean", f"{MEAN}"), ("normalize_std", f"{STD}"), ("dataset", "fashion-mnist"),
                 ("torch_test_accuracy", f"{100 * acc:.2f}")):
        m.metadata_props.add(key=k, value=v)
    onnx.save(m, path)
    np.save(os.path.join(HERE, f"{name}.torch-predictions.npy"), preds)
    params = sum(p.numel() for p in model.parameters())
    with open(os.path.join(HERE, f"{name}.json"), "w") as f:
        json.dump({"model": name, "torch_test_accuracy": round(100 * acc, 2), "parameters": params,
                   "ops": sorted({n.op_type for n in m.graph.node})}, f, indent=1)
        f.write("\n")
    print(f"{name}: exported {path}, {params} parameters, torch test accuracy {100 * acc:.2f}%")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--only", choices=["dscnn", "mobilenet"])
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    x = to_input(load_idx("train-images-idx3-ubyte.gz"))
    y = torch.from_numpy(load_idx("train-labels-idx1-ubyte.gz").astype(np.int64))
    xt = to_input(load_idx("t10k-images-idx3-ubyte.gz"))
    yt = torch.from_numpy(load_idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))
    for name, ctor in (("dscnn", DSCNN), ("mobilenet_v1_0.5", MobileNetV1)):
        if args.only and not name.startswith(args.only):
            continue
        torch.manual_seed(0)
        model = train(name, ctor(), args.epochs, x, y, xt, yt)
        acc, preds = evaluate(model, xt, yt)
        export(name, model, acc, preds)


if __name__ == "__main__":
    main()
