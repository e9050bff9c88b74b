#!/usr/bin/env python3
"""The PyTorch golden file of the whole-network parity test: BN-LeNet trained for two SGD steps.

    /usr/bin/python3 layers/src/test/python/bn_lenet_golden.py            # writes the file (from the repository root)
    /usr/bin/python3 layers/src/test/python/bn_lenet_golden.py --check    # recomputes the committed file's outputs

Writes layers/src/test/resources/golden/bn_lenet_28.safetensors (examples' tests read it from
there too): the chapter's BN-LeNet at 28x28 (conv1 bn1 sigmoid maxpool2 conv2 bn2 sigmoid maxpool2
flatten fc1 bn3 sigmoid fc2 bn4 sigmoid fc3), xavier-uniform weights and PyTorch's default biases
(torch.manual_seed(0)), two SGD steps at lr 1.0 on Fashion-MNIST training images 0-15 and 16-31
(pixels / 255, from /usr/share/datasets/fashion-mnist or --data), then eval mode on images 32-47.
Stores init.*, per step stepN.x/labels/logits/loss/grad.*, final.* (parameters and running
statistics) and eval.x/logits; batch norm's weight and bias are named gamma and beta.
--check starts from the committed init.* and inputs and fails unless every output agrees to 1e-5.
PyTorch 1.13 (Debian: apt-get install python3-torch); the tests never run Python.
"""
import gzip
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../core/src/test/python"))
from golden import arguments, read_safetensors, write_safetensors  # noqa: E402

METADATA = {"op": "bn-lenet sgd steps", "size": "28", "batch": "16", "steps": "2", "lr": "1.0",
            "image_indices_from": "0", "init": "xavier_uniform on conv/linear weights, torch default biases",
            "input": "pixels/255; bilinear (align_corners=False, no antialias) resize when size != 28",
            "layers": "conv1(1,6,5) bn1 sigmoid maxpool2 conv2(6,16,5) bn2 sigmoid maxpool2 flatten "
                      "fc1(16*s*s,120) bn3 sigmoid fc2(120,84) bn4 sigmoid fc3(84,10)"}
LAYERS = ["conv1", "bn1", "conv2", "bn2", "fc1", "bn3", "fc2", "bn4", "fc3"]


class BnLeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(1, 6, 5), nn.BatchNorm2d(6)
        self.conv2, self.bn2 = nn.Conv2d(6, 16, 5), nn.BatchNorm2d(16)
        self.fc1, self.bn3 = nn.Linear(16 * 4 * 4, 120), nn.BatchNorm1d(120)
        self.fc2, self.bn4 = nn.Linear(120, 84), nn.BatchNorm1d(84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(torch.sigmoid(self.bn1(self.conv1(x))), 2, 2)
        x = F.max_pool2d(torch.sigmoid(self.bn2(self.conv2(x))), 2, 2)
        x = torch.sigmoid(self.bn3(self.fc1(x.flatten(1))))
        x = torch.sigmoid(self.bn4(self.fc2(x)))
        return self.fc3(x)


def named(net, what):
    """The golden's names for the parameters (what='param'), or the running statistics."""
    out = {}
    for layer in LAYERS:
        m = getattr(net, layer)
        if what == "param":
            names = ("gamma", "beta") if layer.startswith("bn") else ("weight", "bias")
            out.update({f"{layer}.{names[0]}": m.weight, f"{layer}.{names[1]}": m.bias})
        elif layer.startswith("bn"):
            out.update({f"{layer}.running_mean": m.running_mean, f"{layer}.running_var": m.running_var})
    return out


def idx(path, count, header, shape):
    with gzip.open(path, "rb") as f:
        raw = f.read(header + count * shape)
    return raw[header:]


def fashion_mnist(data, count):
    pixels = idx(os.path.join(data, "train-images-idx3-ubyte.gz"), count, 16, 28 * 28)
    labels = idx(os.path.join(data, "train-labels-idx1-ubyte.gz"), count, 8, 1)
    x = torch.tensor(list(pixels), dtype=torch.float32).reshape(count, 1, 28, 28) / 255
    return x, torch.tensor(list(labels), dtype=torch.int64)


def run(init, steps, eval_x):
    """Loads init, takes the SGD steps [(x, labels)], evaluates eval_x; returns every output."""
    net = BnLeNet()
    with torch.no_grad():
        for name, p in named(net, "param").items():
            p.copy_(init[name])
    sgd = torch.optim.SGD(net.parameters(), lr=float(METADATA["lr"]))
    out = {}
    net.train()
    for s, (x, labels) in enumerate(steps):
        sgd.zero_grad()
        logits = net(x)
        loss = F.cross_entropy(logits, labels)
        loss.backward()
        out.update({f"step{s}.x": x, f"step{s}.labels": labels, f"step{s}.logits": logits, f"step{s}.loss": loss.reshape(1)})
        out.update({f"step{s}.grad.{k}": p.grad.clone() for k, p in named(net, "param").items()})
        sgd.step()
    out.update({f"final.{k}": v.detach().clone() for k, v in named(net, "param").items()})
    out.update({f"final.{k}": v.clone() for k, v in named(net, "stats").items()})
    net.eval()
    with torch.no_grad():
        out.update({"eval.x": eval_x, "eval.logits": net(eval_x)})
    return out


def main(argv):
    a = arguments(__doc__, argv, data=True)
    path = os.path.join(a.root, "layers/src/test/resources/golden/bn_lenet_28.safetensors")
    if a.check:
        stored, _ = read_safetensors(path)
        init = {k[len("init."):]: v for k, v in stored.items() if k.startswith("init.")}
        steps = [(stored[f"step{s}.x"], stored[f"step{s}.labels"]) for s in range(int(METADATA["steps"]))]
        out = run(init, steps, stored["eval.x"])
        worst = 0.0
        for name, value in out.items():
            expected = stored[name].to(torch.float64)
            diff = (value.detach().to(torch.float64) - expected).abs()
            worst = max(worst, diff.max().item())
            if (diff - 1e-5 * (1 + expected.abs())).max().item() > 0:
                print(f"{path}: {name} differs by up to {diff.max().item():.3g}")
                return 1
        print(f"{path}: {len(out)} tensors recomputed, largest difference {worst:.3g}")
        return 0
    torch.manual_seed(0)
    net = BnLeNet()
    for layer in LAYERS:
        if not layer.startswith("bn"):
            nn.init.xavier_uniform_(getattr(net, layer).weight)
    init = {k: v.detach().clone() for k, v in named(net, "param").items()}
    batch = int(METADATA["batch"])
    steps = int(METADATA["steps"])
    x, labels = fashion_mnist(a.data, (steps + 1) * batch)
    out = run(init, [(x[s * batch:(s + 1) * batch], labels[s * batch:(s + 1) * batch]) for s in range(steps)],
              x[steps * batch:])
    write_safetensors(path, {**{f"init.{k}": v for k, v in init.items()}, **out}, METADATA)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
