#!/usr/bin/env python3
# Golden values of the activation layers of issue 11 (Tanh, Softmax(dim), GELU with approximate
# 'none' and 'tanh'), from PyTorch's nn modules (Debian's python3-torch 1.13, CPU, float32).
# Generated with, from the repository root:
#
#   /usr/bin/python3 layers/src/test/python/activation_goldens.py layers/src/test/resources/golden/activations.safetensors
#
# Case NAME holds NAME.x (the input), NAME.y (the output), NAME.dy (the upstream gradient) and
# NAME.dx (the gradient of sum(y * dy)); it prints each module's repr, which the test compares with toString.
# Read by org.grad4j.layers.ActivationsTest.
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "core", "src", "test", "python"))
from golden_io import write  # noqa: E402

torch.manual_seed(345)
out = {}
x = torch.randn(3, 4, 5) * 3
for name, module in [("tanh", torch.nn.Tanh()), ("softmax1", torch.nn.Softmax(dim=1)),
                     ("softmax_last", torch.nn.Softmax(dim=-1)), ("gelu", torch.nn.GELU()),
                     ("gelu_tanh", torch.nn.GELU(approximate="tanh"))]:
    leaf = x.clone().requires_grad_(True)
    y = module(leaf)
    dy = torch.randn(y.shape)
    (y * dy).sum().backward()
    out[f"{name}.x"] = leaf.detach()
    out[f"{name}.y"] = y.detach()
    out[f"{name}.dy"] = dy
    out[f"{name}.dx"] = leaf.grad
    print(f"{name}: {module!r}", file=sys.stderr)

write(sys.argv[1], out, "layers/src/test/python/activation_goldens.py")
