#!/usr/bin/env python3
# Golden values of the tensor ops of issue 11 (element-wise, shape, indexing, softmax, batched
# matmul), from PyTorch (Debian's python3-torch 1.13, CPU, float32). Generated with, from the
# repository root:
#
#   /usr/bin/python3 core/src/test/python/tensor_ops_golden.py core/src/test/resources/golden/tensor_ops.safetensors
#
# One safetensors file; the tensors of case NAME are NAME.x (or NAME.a, NAME.b, ...: the inputs),
# NAME.y (the output), NAME.dy (the upstream gradient), NAME.dx (NAME.da, ...: the gradients of
# sum(y * dy)). Integer indices are I64. Read by org.grad4j.core.TensorOpsGoldenTest. The writer
# is golden_io.py (the safetensors package is not in Debian's PyTorch).
import sys

import torch
import torch.nn.functional as F

from golden_io import write

torch.manual_seed(345)
out = {}


def put(name, t):
    out[name] = t.detach().contiguous()


def case(name, fn, inputs, index=None):
    """Records inputs, y = fn(*inputs), a random dy and d sum(y * dy) / d input."""
    leaves = {k: v.clone().requires_grad_(v.is_floating_point()) for k, v in inputs.items()}
    y = fn(**leaves)
    ys = list(y) if isinstance(y, (tuple, list)) else [y]
    dys = [torch.randn(p.shape) for p in ys]
    loss = sum((p * d).sum() for p, d in zip(ys, dys))
    loss.backward()
    for k, v in leaves.items():
        put(f"{name}.{k}", v)
        if v.is_floating_point():
            put(f"{name}.d{k}", v.grad)
    if len(ys) == 1:
        put(f"{name}.y", ys[0])
        put(f"{name}.dy", dys[0])
    else:
        for i, (p, d) in enumerate(zip(ys, dys)):
            put(f"{name}.y{i}", p)
            put(f"{name}.dy{i}", d)


x345 = torch.randn(3, 4, 5)
case("tanh", lambda x: torch.tanh(x), {"x": x345 * 2})
case("gelu", lambda x: F.gelu(x), {"x": x345 * 3})
case("abs", lambda x: torch.abs(x), {"x": x345})
case("clamp", lambda x: torch.clamp(x, -0.5, 0.7), {"x": x345})
case("softmax", lambda x: torch.softmax(x, dim=1), {"x": x345 * 2})
case("minimum", lambda a, b: torch.minimum(a, b), {"a": torch.randn(2, 3, 4), "b": torch.randn(3, 1)})
case("maximum", lambda a, b: torch.maximum(a, b), {"a": torch.randn(2, 3, 4), "b": torch.randn(3, 1)})
mask = (torch.rand(2, 1, 4) > 0.5).float()
put("where.mask", mask)
case("where", lambda a, b: torch.where(mask != 0, a, b), {"a": torch.randn(2, 3, 4), "b": torch.randn(4)})
case("pow", lambda a, b: torch.pow(a, b), {"a": torch.rand(2, 3) + 0.5, "b": torch.randn(3)})
case("cat", lambda a, b: torch.cat([a, b], dim=1), {"a": torch.randn(2, 3), "b": torch.randn(2, 2)})
case("stack", lambda a, b: torch.stack([a, b], dim=1), {"a": torch.randn(2, 3), "b": torch.randn(2, 3)})
case("split", lambda x: torch.split(x, 3, dim=1), {"x": torch.randn(2, 7)})
case("chunk", lambda x: torch.chunk(x, 3, dim=1), {"x": torch.randn(2, 7)})
case("permute", lambda x: x.permute(2, 0, 1), {"x": torch.randn(2, 3, 4)})
case("transpose", lambda x: x.transpose(0, 2), {"x": torch.randn(2, 3, 4)})
case("expand", lambda x: x.expand(2, 3, 4), {"x": torch.randn(3, 1)})
case("unsqueeze", lambda x: x.unsqueeze(1), {"x": torch.randn(2, 3)})
case("squeeze", lambda x: x.squeeze(1), {"x": torch.randn(2, 1, 3)})
case("narrow", lambda x: x.narrow(2, 1, 2), {"x": torch.randn(2, 3, 4)})
case("select", lambda x: x.select(1, -1), {"x": torch.randn(2, 3, 4)})
isel = torch.tensor([3, 0, 3])
put("index_select.index", isel)
case("index_select", lambda x: torch.index_select(x, 1, isel), {"x": torch.randn(2, 4, 3)})
gidx = torch.tensor([[2, 0], [4, 4], [1, 3], [0, 2]])
put("gather.index", gidx)
case("gather", lambda x: torch.gather(x, 1, gidx), {"x": torch.randn(4, 5)})
case("bmm", lambda a, b: torch.matmul(a, b), {"a": torch.randn(2, 3, 4, 5), "b": torch.randn(3, 5, 2)})
case("matmul_batch_by_matrix", lambda a, b: torch.matmul(a, b), {"a": torch.randn(2, 4, 5), "b": torch.randn(5, 3)})
am = torch.randn(3, 5)
put("argmax.x", am)
put("argmax.y", torch.argmax(am, dim=1))
put("argmin.y", torch.argmin(am, dim=1))


write(sys.argv[1], out, "core/src/test/python/tensor_ops_golden.py")
