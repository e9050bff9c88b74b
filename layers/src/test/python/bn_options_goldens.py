"""PyTorch goldens for issue 12: batch-norm momentum options, torchvision's FrozenBatchNorm2d,
Conv2d with per-dimension geometry, and batch norms folded into the layer before them.

Run from the repository root with Debian's python3-torch (PyTorch 1.13, CPU):

    /usr/bin/python3 layers/src/test/python/bn_options_goldens.py layers/src/test/resources/golden

Writes safetensors files (float32, little-endian) without the safetensors package.
"""
import json
import struct
import sys

import torch
from torchvision.ops.misc import FrozenBatchNorm2d


def save(path, tensors, metadata):
    header = {}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
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


def batchnorm_momentum(out, name, momentum):
    """Three training steps of BatchNorm2d(3) with batches of 4, 2 and 3 images, then eval."""
    torch.manual_seed(12)
    bn = torch.nn.BatchNorm2d(3, momentum=momentum)
    t = {}
    for s, n in enumerate((4, 2, 3)):
        x = torch.randn(n, 3, 4, 5) * (s + 1) + s
        t["x%d" % s] = x
        t["y%d" % s] = bn(x)
        t["running_mean%d" % s] = bn.running_mean.clone()
        t["running_var%d" % s] = bn.running_var.clone()
    bn.eval()
    x = torch.randn(2, 3, 4, 5)
    t["x_eval"] = x
    t["y_eval"] = bn(x)
    save("%s/%s.safetensors" % (out, name), t, {"momentum": momentum, "repr": repr(bn)})


def frozen_batchnorm(out):
    torch.manual_seed(13)
    f = FrozenBatchNorm2d(3, eps=1e-3)
    f.weight.copy_(torch.rand(3) + 0.5)
    f.bias.copy_(torch.randn(3))
    f.running_mean.copy_(torch.randn(3))
    f.running_var.copy_(torch.rand(3) + 0.1)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    f.train()
    y = f(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    t = {"weight": f.weight, "bias": f.bias, "running_mean": f.running_mean, "running_var": f.running_var,
         "x": x, "y": y, "dy": dy, "dx": x.grad}
    save("%s/frozen_batchnorm2d.safetensors" % out, t,
         {"eps": f.eps, "repr": repr(f), "keys": ",".join(f.state_dict().keys())})


def conv2d(out, name, kernel_size, stride, padding, bias, dilation=1):
    torch.manual_seed(14)
    conv = torch.nn.Conv2d(4, 5, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                           bias=bias)
    x = torch.randn(2, 4, 9, 11, requires_grad=True)
    y = conv(x)
    dy = torch.randn_like(y)
    y.backward(dy)
    t = {"w": conv.weight, "x": x, "y": y, "dy": dy, "dx": x.grad, "dw": conv.weight.grad}
    if bias:
        t["b"] = conv.bias
        t["db"] = conv.bias.grad
    save("%s/%s.safetensors" % (out, name), t, {"repr": repr(conv)})


def folded(out):
    """A small conv net with batch norms, its eval output, and PyTorch's own folding of it
    (torch.nn.utils.fusion) loaded into the same nn.Sequential without the batch norms."""
    torch.manual_seed(15)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 3, 3), torch.nn.BatchNorm2d(3), torch.nn.Sigmoid(), torch.nn.MaxPool2d(2, 2),
        torch.nn.Conv2d(3, 4, (3, 2), bias=False), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.Flatten(),
        torch.nn.Linear(24, 6), torch.nn.BatchNorm1d(6), torch.nn.Sigmoid(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        for m in net:
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.weight.copy_(torch.rand(m.num_features) + 0.5)
                m.bias.copy_(torch.randn(m.num_features))
        for _ in range(3):
            net(torch.randn(8, 1, 10, 10) * 2 + 1)
    net.eval()
    x = torch.randn(4, 1, 10, 10)
    y = net(x)
    fusion = torch.nn.utils.fusion
    plain = torch.nn.Sequential(
        fusion.fuse_conv_bn_eval(net[0], net[1]), torch.nn.Sigmoid(), torch.nn.MaxPool2d(2, 2),
        fusion.fuse_conv_bn_eval(net[4], net[5]), torch.nn.ReLU(), torch.nn.Flatten(),
        fusion.fuse_linear_bn_eval(net[8], net[9]), torch.nn.Sigmoid(), torch.nn.Linear(6, 3))
    with torch.no_grad():
        plain[8].weight.copy_(net[11].weight)
        plain[8].bias.copy_(net[11].bias)
    t = {"x": x, "y": y, "y_folded": plain(x)}
    for k, v in net.state_dict().items():
        t["net." + k] = v
    for k, v in plain.state_dict().items():
        t["folded." + k] = v
    save("%s/folded_bn.safetensors" % out, t, {"net": repr(net), "folded": repr(plain)})


if __name__ == "__main__":
    out = sys.argv[1]
    batchnorm_momentum(out, "batchnorm2d_momentum03", 0.3)
    batchnorm_momentum(out, "batchnorm2d_momentum_none", None)
    frozen_batchnorm(out)
    conv2d(out, "conv2d_k3x5", (3, 5), 1, 0, True)
    conv2d(out, "conv2d_k3x5_s2x1_p1x2", (3, 5), (2, 1), (1, 2), False)
    folded(out)
