"""PyTorch golden for grad4j's ResNet-18 (issue 11, item 7): one SGD training step of d2l's ResNet-18.

The model is the PyTorch reference's (benchmarks/src/main/python/resnet18_torch.py: the book's flat
nn.Sequential, state-dict names 0.0.weight, 1.0.conv1.weight, 2.0.conv3.weight, ..., 7.bias).
Seeded PyTorch default initialisation; a batch of 4 seeded uniform 1x96x96 images with seeded labels;
training mode; cross-entropy (mean); SGD lr 0.05 (no momentum, no weight decay, as d2l's train_ch6).

Run from the repository root with Debian's python3-torch (PyTorch 1.13, CPU):

    /usr/bin/python3 examples/src/test/python/resnet18_golden.py examples/src/test/resources/golden

writes resnet18_w8_step.safetensors: the reduced-width variant (stages 8, 16, 32, 64 channels wide,
about 175 thousand parameters), which keeps the file near 1.5 MB; the book's width 64 would be 90 MB.
    /usr/bin/python3 examples/src/test/python/resnet18_golden.py /tmp --width 64
writes the full-size /tmp/resnet18_w64_step.safetensors (not kept in the repository), which
ResNet18GoldenTest checks when run with -Dgrad4j.resnet18.golden=/tmp/resnet18_w64_step.safetensors.

Contents (float32 unless noted): "init.<key>" the initial state dict (parameters and buffers,
num_batches_tracked as I64), "x" [4, 1, 96, 96], "labels" I64 [4], "logits" [4, 10], "loss" [],
"grad.<key>" for a few parameters (the stem, a shortcut conv, a late batch norm, the classifier),
"final.<key>" the state dict after the step (running statistics updated once), "eval.logits" the
updated model's eval-mode logits of x. Metadata: lr, width, size, batch, and repr, what print(net) shows.
"""
import argparse
import json
import os
import struct
import sys

import torch
from torch.nn import functional as F

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../benchmarks/src/main/python"))
from resnet18_torch import resnet18  # noqa: E402

GRADS = ["0.0.weight", "0.0.bias", "0.1.weight", "2.0.conv1.weight", "2.0.conv3.weight", "2.0.conv3.bias",
         "4.1.bn2.weight", "4.1.bn2.bias", "4.1.conv2.weight", "7.weight", "7.bias"]


def save(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        t = t.detach().contiguous()
        if t.dtype == torch.int64:
            dtype, data = "I64", t.numpy().astype("<i8").tobytes()
        else:
            dtype, data = "F32", t.to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--width", type=int, default=8)
    a = p.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(7)
    lr, size, batch = 0.05, 96, 4
    net = resnet18(a.width)
    net.train()
    tensors = {"init." + k: v.clone() for k, v in net.state_dict().items()}
    x = torch.rand(batch, 1, size, size)
    labels = torch.randint(0, 10, (batch,))
    opt = torch.optim.SGD(net.parameters(), lr=lr)
    opt.zero_grad()
    logits = net(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    params = dict(net.named_parameters())
    grads = {"grad." + k: params[k].grad.clone() for k in GRADS}
    opt.step()
    tensors.update({"x": x, "labels": labels, "logits": logits, "loss": loss})
    tensors.update(grads)
    tensors.update({"final." + k: v.clone() for k, v in net.state_dict().items()})
    net.eval()
    with torch.no_grad():
        tensors["eval.logits"] = net(x)
    save(os.path.join(a.out, f"resnet18_w{a.width}_step.safetensors"), tensors,
         {"lr": lr, "width": a.width, "size": size, "batch": batch, "repr": repr(net)})


if __name__ == "__main__":
    main()
