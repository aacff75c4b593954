#!/usr/bin/python3
"""torch's own post-training pruning and quantization of a bundled model: the
peer rows of docs/Results.md (offline tooling, run by scripts/results.sh).

The ONNX model (Conv/Relu.../GlobalAveragePool/Flatten/Gemm, BatchNorm already
folded by the export) is rebuilt as a torch.nn.Sequential with the same
weights, so torch and coopt start from identical float models.  Then, on the
same data coopt uses (Fashion-MNIST, the model's normalisation, 512
calibration images evenly spread over the training split):
  - float accuracy (a check: must equal coopt's);
  - torch.nn.utils.prune.l1_unstructured, 50% per conv/linear layer (not
    depthwise, as coopt-prune's default), no fine-tuning;
  - the pruned model recovered by the same layer-wise least squares as
    coopt-recover (written here with torch.linalg: the peer for coopt's
    accuracy and recovery time), no fine-tuning;
  - FX graph-mode post-training static quantization, onednn backend
    (x86 per-channel qconfig; fbgemm is absent from Debian's torch), of the
    float, the pruned and the recovered model.
Prints one JSON object.

With --latency, instead: torch's batch-1 latency (1 thread, median) of the
float model and of its onednn int8 PTQ form (calibrated on the first test
images; only the time matters), the peer row of bench/bench-compiled.sh.

With --recover-time, only the time of that recovery (bench/bench-recover.sh);
with --distill-time, the time of coopt-distill's end-to-end fit done in torch.

usage: torch-peer.py model.onnx /usr/share/datasets/fashion-mnist [samples]
       torch-peer.py --latency model.onnx /usr/share/datasets/fashion-mnist [repeats]
       torch-peer.py --recover-time model.onnx /usr/share/datasets/fashion-mnist [samples]
       torch-peer.py --distill-time model.onnx /usr/share/datasets/fashion-mnist [samples [epochs]]
"""
import gzip
import json
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
from torch.ao.quantization import get_default_qconfig_mapping
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def build(model_path):
    m = onnx.load(model_path)
    init = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in m.graph.initializer}
    meta = {p.key: p.value for p in m.metadata_props}
    layers = []
    for node in m.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            w = init[node.input[1]]
            pads = attrs.get("pads", [0, 0, 0, 0])
            assert pads[0] == pads[2] and pads[1] == pads[3], "asymmetric padding"
            conv = nn.Conv2d(w.shape[1] * attrs.get("group", 1), w.shape[0], w.shape[2:], stride=attrs.get("strides", 1),
                             padding=(pads[0], pads[1]), groups=attrs.get("group", 1), bias=len(node.input) > 2)
            conv.weight.data.copy_(w)
            if len(node.input) > 2:
                conv.bias.data.copy_(init[node.input[2]])
            layers.append(conv)
        elif node.op_type == "Relu":
            layers.append(nn.ReLU())
        elif node.op_type == "GlobalAveragePool":
            layers.append(nn.AdaptiveAvgPool2d(1))
        elif node.op_type == "Flatten":
            layers.append(nn.Flatten())
        elif node.op_type == "Gemm":
            w = init[node.input[1]]
            assert attrs.get("transB", 0) == 1
            lin = nn.Linear(w.shape[1], w.shape[0])
            lin.weight.data.copy_(w)
            lin.bias.data.copy_(init[node.input[2]])
            layers.append(lin)
        else:
            raise SystemExit(f"torch-peer: unsupported op {node.op_type}")
    return nn.Sequential(*layers).eval(), float(meta["normalize_mean"]), float(meta["normalize_std"])


def accuracy(model, x, y):
    with torch.no_grad():
        pred = torch.cat([model(x[i:i + 500]).argmax(1) for i in range(0, len(x), 500)])
    return round(100.0 * (pred == y).float().mean().item(), 2)


def ptq(model, calib):
    torch.backends.quantized.engine = "onednn"
    prepared = prepare_fx(model, get_default_qconfig_mapping("onednn"), example_inputs=(calib[:1],))
    with torch.no_grad():
        for i in range(0, len(calib), 64):
            prepared(calib[i:i + 64])
    return convert_fx(prepared)


def layer_inputs(model, index, x):
    """The input of model[index] on x (a forward hook)."""
    got = []
    h = model[index].register_forward_hook(lambda m, i, o: got.append(i[0].detach()))
    with torch.no_grad():
        for k in range(0, len(x), 128):
            model(x[k:k + 128])
    h.remove()
    return torch.cat(got)


def patches(layer, x):
    """Rows of patches (conv: im2col; linear: the rows) with a 1 appended, in double."""
    if isinstance(layer, nn.Linear):
        a = x.double()
    else:
        u = nn.functional.unfold(x.double(), layer.kernel_size, padding=layer.padding, stride=layer.stride)
        a = u.transpose(1, 2).reshape(-1, u.shape[1])
    return torch.cat([a, torch.ones(a.shape[0], 1, dtype=torch.float64)], 1)


def recover(pruned, reference, calib, damp=0.01):
    """The same layer-wise least squares as coopt-recover: in order, each pruned
    layer's kept weights and bias refit so that on the inputs the recovered
    prefix gives it, it reproduces the float layer's output on the float
    inputs; damped toward the pruned values; zeros stay zero."""
    for i, layer in enumerate(pruned):
        if not (isinstance(layer, nn.Linear) or (isinstance(layer, nn.Conv2d) and layer.groups == 1)):
            continue
        a = patches(layer, layer_inputs(pruned, i, calib))
        af = patches(layer, layer_inputs(reference, i, calib))
        ref = reference[i]
        wref = torch.cat([ref.weight.detach().reshape(ref.weight.shape[0], -1).double(),
                          ref.bias.detach().double()[:, None]], 1)
        w0 = torch.cat([layer.weight.detach().reshape(layer.weight.shape[0], -1).double(),
                        layer.bias.detach().double()[:, None]], 1)
        h = a.T @ a
        rhs = a.T @ (af @ wref.T)
        lam = damp * torch.diag(h)[:-1].mean()
        out = w0.clone()
        for r in range(w0.shape[0]):
            keep = torch.cat([w0[r, :-1] != 0, torch.tensor([True])]).nonzero().flatten()
            m = h[keep][:, keep] + lam * torch.eye(len(keep), dtype=torch.float64)
            out[r, keep] = torch.linalg.solve(m, rhs[keep, r] + lam * w0[r, keep])
        layer.weight.data.copy_(out[:, :-1].reshape(layer.weight.shape).float())
        layer.bias.data.copy_(out[:, -1].float())
    return pruned


def median_us(model, x, repeats):
    import time
    times = []
    with torch.no_grad():
        for i in range(repeats + 20):
            t0 = time.perf_counter()
            model(x)
            if i >= 20:
                times.append(time.perf_counter() - t0)
    times.sort()
    return round(1e6 * times[len(times) // 2], 1)


def latency():
    model_path, data = sys.argv[2], sys.argv[3]
    repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, mean, std = build(model_path)
    x = torch.from_numpy(((idx(f"{data}/t10k-images-idx3-ubyte.gz")[:64].astype(np.float32) / 255.0 - mean) / std)
                         .astype(np.float32))[:, None]
    out = {"model": model_path, "torch": torch.__version__, "threads": 1, "batch": 1}
    out["float_us"] = median_us(model, x[:1], repeats)
    out["ptq_int8_us"] = median_us(ptq(model, x), x[:1], repeats)
    print(json.dumps(out))


def recover_time():
    """Only the recovery of the 50%-pruned model, timed (bench/bench-recover.sh)."""
    model_path, data = sys.argv[2], sys.argv[3]
    samples = int(sys.argv[4]) if len(sys.argv) > 4 else 512
    import time
    torch.manual_seed(0)
    model, mean, std = build(model_path)
    train = idx(f"{data}/train-images-idx3-ubyte.gz")
    calib = torch.from_numpy(((train[[i * len(train) // samples for i in range(samples)]].astype(np.float32) / 255.0
                               - mean) / std).astype(np.float32))[:, None]
    pruned, _, _ = build(model_path)
    for layer in pruned:
        if isinstance(layer, nn.Linear) or (isinstance(layer, nn.Conv2d) and layer.groups == 1):
            prune.l1_unstructured(layer, "weight", amount=0.5)
            prune.remove(layer, "weight")
    t0 = time.perf_counter()
    recover(pruned, model, calib)
    print(json.dumps({"model": model_path, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "samples": samples, "recover_seconds": round(time.perf_counter() - t0, 2)}))


def distill_time():
    """The peer of coopt-distill's defaults (bench/bench-recover.sh): the same
    end-to-end fit of a 50%-pruned model to the float model's logits, timed.
    16,384 training images, every eighth held out; 8 epochs of batch-100 Adam
    steps (lr 1e-3, cosine decay to 0) on the squared logit difference, the
    zeros kept by masking the gradients; the held-out error after each epoch."""
    model_path, data = sys.argv[2], sys.argv[3]
    samples = int(sys.argv[4]) if len(sys.argv) > 4 else 16384
    epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 8
    import math
    import time
    torch.manual_seed(0)
    model, mean, std = build(model_path)
    train = idx(f"{data}/train-images-idx3-ubyte.gz")
    x = torch.from_numpy(((train[[i * len(train) // samples for i in range(samples)]].astype(np.float32) / 255.0
                           - mean) / std).astype(np.float32))[:, None]
    student, _, _ = build(model_path)
    masks = []
    for layer in student:
        if isinstance(layer, nn.Linear) or (isinstance(layer, nn.Conv2d) and layer.groups == 1):
            prune.l1_unstructured(layer, "weight", amount=0.5)
            prune.remove(layer, "weight")
            masks.append((layer.weight, (layer.weight != 0).float()))
    t0 = time.perf_counter()
    with torch.no_grad():
        teacher = torch.cat([model(x[i:i + 100]) for i in range(0, len(x), 100)])
    held = torch.arange(7, samples, 8)
    fit = torch.tensor([i for i in range(samples) if i % 8 != 7])
    opt = torch.optim.Adam(student.parameters(), lr=1e-3)
    steps = len(fit) // 100 * epochs
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    student.train()
    for _ in range(epochs):
        order = fit[torch.randperm(len(fit))]
        for k in range(len(fit) // 100):
            b = order[k * 100:(k + 1) * 100]
            opt.zero_grad()
            loss = 0.5 * ((student(x[b]) - teacher[b]) ** 2).sum() / 100
            loss.backward()
            for w, m in masks:
                w.grad.mul_(m)
            opt.step()
            sched.step()
        with torch.no_grad():
            err = sum(((student(x[held[i:i + 100]]) - teacher[held[i:i + 100]]) ** 2).sum().item()
                      for i in range(0, len(held), 100))
    print(json.dumps({"model": model_path, "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "samples": samples, "epochs": epochs, "steps": steps, "held_out_error": err,
                      "distill_seconds": round(time.perf_counter() - t0, 2)}))


def main():
    if sys.argv[1] == "--latency":
        return latency()
    if sys.argv[1] == "--recover-time":
        return recover_time()
    if sys.argv[1] == "--distill-time":
        return distill_time()
    model_path, data = sys.argv[1], sys.argv[2]
    samples = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model, mean, std = build(model_path)
    norm = lambda a: torch.from_numpy(((a.astype(np.float32) / 255.0 - mean) / std).astype(np.float32))[:, None]
    test_x, test_y = norm(idx(f"{data}/t10k-images-idx3-ubyte.gz")), torch.from_numpy(idx(f"{data}/t10k-labels-idx1-ubyte.gz").astype(np.int64))
    train = idx(f"{data}/train-images-idx3-ubyte.gz")
    calib = norm(train[[i * len(train) // samples for i in range(samples)]])
    out = {"model": model_path, "torch": torch.__version__, "engine": "onednn", "calibration_samples": samples}
    out["float"] = accuracy(model, test_x, test_y)
    out["ptq_int8"] = accuracy(ptq(model, calib), test_x, test_y)
    pruned, _, _ = build(model_path)
    for layer in pruned:
        if isinstance(layer, nn.Linear) or (isinstance(layer, nn.Conv2d) and layer.groups == 1):
            prune.l1_unstructured(layer, "weight", amount=0.5)
            prune.remove(layer, "weight")
    out["pruned50_float"] = accuracy(pruned, test_x, test_y)
    out["pruned50_ptq_int8"] = accuracy(ptq(pruned, calib), test_x, test_y)
    import time
    t0 = time.perf_counter()
    recover(pruned, model, calib)
    out["recovered50_seconds"] = round(time.perf_counter() - t0, 2)
    out["recovered50_float"] = accuracy(pruned, test_x, test_y)
    out["recovered50_ptq_int8"] = accuracy(ptq(pruned, calib), test_x, test_y)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
