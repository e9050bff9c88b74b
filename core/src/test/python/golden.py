#!/usr/bin/env python3
"""The PyTorch golden files of grad4j's single-op parity tests (PyTorch 1.13, CPU, float32).

    /usr/bin/python3 core/src/test/python/golden.py                # writes the files (from the repository root)
    /usr/bin/python3 core/src/test/python/golden.py --check        # recomputes the committed files' outputs

Writes core/src/test/resources/golden/{linear,conv2d_basic,conv2d_stride2_pad1,maxpool2d_k2s2,
batchnorm1d,batchnorm2d,sigmoid_cross_entropy}.safetensors and the copies the layers' tests read in
layers/src/test/resources/golden. Inputs are seeded normal draws (torch.manual_seed per case).
--check reads each committed file's inputs, recomputes every output with PyTorch and prints the
largest difference per tensor; it fails unless all agree to 1e-6 (absolute plus relative).
Needs only torch (Debian: apt-get install python3-torch); the tests never run Python.

The layout (safetensors: an 8-byte little-endian header length, a JSON header, raw little-endian
row-major data) is what core's SafeTensors reads; __metadata__ holds each case's hyper-parameters.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

DTYPES = {torch.float32: "F32", torch.int64: "I64"}
FROM_NAME = {"F32": torch.float32, "I64": torch.int64}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
    os.replace(path + ".tmp", path)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, e in header.items():
        begin, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(raw[base + begin:base + end]), dtype=FROM_NAME[e["dtype"]])
        tensors[name] = t.reshape(e["shape"]).clone()
    return tensors, metadata


def arguments(doc, argv, data=False):
    """The command line every golden generator takes: --check, --root and, reading Fashion-MNIST, --data."""
    p = argparse.ArgumentParser(description=doc.split("\n")[0])
    p.add_argument("--check", action="store_true", help="recompute the committed files' outputs instead of writing")
    p.add_argument("--root", default=".", help="the repository root (default: the current directory)")
    if data:
        p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="the Fashion-MNIST .gz files")
    return p.parse_args(argv)


def grads(output, dy, *inputs):
    return torch.autograd.grad(output, inputs, dy)


# Each case: (metadata, inputs(seeded), outputs(inputs, metadata)); the file holds inputs and outputs.

def linear_inputs():
    return {"x": torch.randn(5, 7), "w": torch.randn(3, 7), "b": torch.randn(3), "dy": torch.randn(5, 3)}


def linear_outputs(t, md):
    x, w, b = (t[k].clone().requires_grad_(True) for k in ("x", "w", "b"))
    y = F.linear(x, w, b)
    dx, dw, db = grads(y, t["dy"], x, w, b)
    return {"y": y, "dx": dx, "dw": dw, "db": db}


def conv_inputs(n, cin, cout, k, size, stride, padding):
    out = (size + 2 * padding - k) // stride + 1
    return lambda: {"x": torch.randn(n, cin, size, size), "w": torch.randn(cout, cin, k, k), "b": torch.randn(cout),
                    "dy": torch.randn(n, cout, out, out)}


def conv_outputs(t, md):
    x, w, b = (t[k].clone().requires_grad_(True) for k in ("x", "w", "b"))
    y = F.conv2d(x, w, b, stride=int(md["stride"]), padding=int(md["padding"]))
    dx, dw, db = grads(y, t["dy"], x, w, b)
    return {"y": y, "dx": dx, "dw": dw, "db": db}


def maxpool_inputs():
    return {"x": torch.randn(2, 3, 8, 8), "dy": torch.randn(2, 3, 4, 4)}


def maxpool_outputs(t, md):
    x = t["x"].clone().requires_grad_(True)
    y = F.max_pool2d(x, int(md["kernel"]), int(md["stride"]), int(md["padding"]))
    (dx,) = grads(y, t["dy"], x)
    return {"y": y, "dx": dx}


def batchnorm_inputs(shape):
    def make():
        c = shape[1]
        t = {"gamma": 1 + 0.5 * torch.randn(c), "beta": torch.randn(c), "running_mean_in": 0.1 * torch.randn(c),
             "running_var_in": 1 + 0.5 * torch.rand(c)}
        for s in ("0", "1", "_eval"):
            t["x" + s] = 2 * torch.randn(*shape) + 0.5
            t["dy" + s] = torch.randn(*shape)
        return t
    return make


def batchnorm_outputs(t, md):
    eps, momentum = float(md["eps"]), float(md["momentum"])
    running_mean, running_var = t["running_mean_in"].clone(), t["running_var_in"].clone()
    out = {}
    for s in range(int(md["steps"])):
        x, gamma, beta = (v.clone().requires_grad_(True) for v in (t[f"x{s}"], t["gamma"], t["beta"]))
        y = F.batch_norm(x, running_mean, running_var, gamma, beta, training=True, momentum=momentum, eps=eps)
        dx, dgamma, dbeta = grads(y, t[f"dy{s}"], x, gamma, beta)
        out.update({f"y{s}": y, f"dx{s}": dx, f"dgamma{s}": dgamma, f"dbeta{s}": dbeta,
                    f"running_mean{s}": running_mean.clone(), f"running_var{s}": running_var.clone()})
    x = t["x_eval"].clone().requires_grad_(True)
    y = F.batch_norm(x, running_mean, running_var, t["gamma"], t["beta"], training=False, momentum=momentum, eps=eps)
    (dx,) = grads(y, t["dy_eval"], x)
    out.update({"y_eval": y, "dx_eval": dx})
    return out


def sigmoid_ce_inputs():
    return {"x": torch.randn(6, 10), "dy": torch.randn(6, 10), "logits": 3 * torch.randn(6, 10),
            "labels": torch.randint(0, 10, (6,)), "big_logits": torch.tensor([[1000.0, -1000.0, 0.0], [-1000.0, 0.0, 1000.0]]),
            "big_labels": torch.tensor([0, 1])}


def sigmoid_ce_outputs(t, md):
    x = t["x"].clone().requires_grad_(True)
    y = torch.sigmoid(x)
    (dx,) = grads(y, t["dy"], x)
    out = {"y": y, "dx": dx}
    for prefix in ("", "big_"):
        logits = t[prefix + "logits"].clone().requires_grad_(True)
        loss = F.cross_entropy(logits, t[prefix + "labels"])
        (dlogits,) = torch.autograd.grad(loss, logits)
        out.update({prefix + "loss": loss.reshape(1), prefix + "dlogits": dlogits})
    return out


BN_METADATA = {"op": "batchnorm", "eps": "1e-05", "momentum": "0.1", "steps": "2", "affine": "True",
               "running_var": "unbiased (n/(n-1)) batch variance, PyTorch convention",
               "momentum_convention": "running = (1-momentum)*running + momentum*batch"}

CASES = {
    "linear": ({"op": "linear", "weight_layout": "[out, in]"}, linear_inputs, linear_outputs,
               ["x", "w", "b", "y", "dy", "dx", "dw", "db"]),
    "conv2d_basic": ({"op": "conv2d", "stride": "1", "padding": "0", "bias": "True"},
                     conv_inputs(2, 3, 4, 5, 9, 1, 0), conv_outputs, ["x", "w", "y", "dy", "dx", "dw", "b", "db"]),
    "conv2d_stride2_pad1": ({"op": "conv2d", "stride": "2", "padding": "1", "bias": "True"},
                            conv_inputs(2, 2, 3, 3, 8, 2, 1), conv_outputs, ["x", "w", "y", "dy", "dx", "dw", "b", "db"]),
    "maxpool2d_k2s2": ({"op": "maxpool2d", "kernel": "2", "stride": "2", "padding": "0"}, maxpool_inputs,
                       maxpool_outputs, ["x", "y", "dy", "dx"]),
    "batchnorm1d": (BN_METADATA, batchnorm_inputs((8, 6)), batchnorm_outputs, None),
    "batchnorm2d": (BN_METADATA, batchnorm_inputs((4, 3, 5, 5)), batchnorm_outputs, None),
    "sigmoid_cross_entropy": ({"op": "sigmoid + cross_entropy (mean reduction)"}, sigmoid_ce_inputs,
                              sigmoid_ce_outputs, ["x", "y", "dy", "dx", "logits", "labels", "loss", "dlogits",
                                                   "big_logits", "big_labels", "big_loss", "big_dlogits"]),
}
# The layers' tests read these cases too, from their own resources.
SHARED_WITH_LAYERS = ["linear", "conv2d_basic", "conv2d_stride2_pad1", "maxpool2d_k2s2", "batchnorm1d", "batchnorm2d"]


def ordered(tensors, order):
    if order is None:   # batch norm: parameters, then per step inputs and outputs, then eval
        order = ["gamma", "beta", "running_mean_in", "running_var_in"]
        for s in ("0", "1"):
            order += [f"{k}{s}" for k in ("x", "dy", "y", "dx", "dgamma", "dbeta", "running_mean", "running_var")]
        order += ["x_eval", "dy_eval", "y_eval", "dx_eval"]
    return {k: tensors[k] for k in order}


def check(path, outputs_of, tolerance=1e-6):
    stored, md = read_safetensors(path)
    recomputed = outputs_of(stored, md)
    worst = 0.0
    for name, value in recomputed.items():
        expected = stored[name].to(torch.float64)
        diff = (value.detach().to(torch.float64) - expected).abs()
        excess = (diff - tolerance * (1 + expected.abs())).max().item()
        worst = max(worst, diff.max().item())
        if excess > 0:
            print(f"{path}: {name} differs by up to {diff.max().item():.3g}")
            return False
    print(f"{path}: {len(recomputed)} outputs recomputed, largest difference {worst:.3g}")
    return True


def main(argv):
    a = arguments(__doc__, argv)
    core = os.path.join(a.root, "core/src/test/resources/golden")
    layers = os.path.join(a.root, "layers/src/test/resources/golden")
    ok = True
    for name, (md, inputs_of, outputs_of, order) in CASES.items():
        path = os.path.join(core, name + ".safetensors")
        if a.check:
            ok &= check(path, outputs_of)
            continue
        torch.manual_seed(0)
        t = inputs_of()
        t.update(outputs_of(t, md))
        write_safetensors(path, ordered(t, order), md)
        if name in SHARED_WITH_LAYERS:
            write_safetensors(os.path.join(layers, name + ".safetensors"), ordered(t, order), md)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
