"""PyTorch goldens for issue 12: GroupNorm, InstanceNorm2d, ghost batch norm (PyTorch's BatchNorm2d
applied chunk by chunk) and Conv2d with dilation.

Run from the repository root with Debian's python3-torch (PyTorch 1.13, CPU):

    /usr/bin/python3 layers/src/test/python/norm_goldens.py layers/src/test/resources/golden

Writes safetensors files (float32, little-endian) without the safetensors package.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bn_options_goldens import conv2d, save  # noqa: E402


def affine_init(m):
    with torch.no_grad():
        if getattr(m, "weight", None) is not None:
            m.weight.copy_(torch.rand(m.weight.shape) + 0.5)
            m.bias.copy_(torch.randn(m.bias.shape))


def normalization(out, name, make, shapes, seed):
    """Training steps on inputs of the given shapes (forward, backward, buffers after each), then
    one eval step."""
    torch.manual_seed(seed)
    m = make()
    affine_init(m)
    t = {}
    for k, v in m.state_dict().items():
        t["init." + k] = v.to(torch.float32).clone()
    for s, shape in enumerate(shapes):
        x = (torch.randn(*shape) * (s + 1) + s).requires_grad_(True)
        y = m(x)
        dy = torch.randn_like(y)
        params = [p for p in m.parameters()]
        for p in params:
            p.grad = None
        y.backward(dy)
        t["x%d" % s] = x
        t["y%d" % s] = y
        t["dy%d" % s] = dy
        t["dx%d" % s] = x.grad
        for pname, p in m.named_parameters():
            t["d%s%d" % (pname, s)] = p.grad
        for bname, b in m.named_buffers():
            t["%s%d" % (bname, s)] = b.to(torch.float32).clone()
    m.eval()
    x = torch.randn(*shapes[0])
    t["x_eval"] = x
    t["y_eval"] = m(x)
    save("%s/%s.safetensors" % (out, name), t,
         {"repr": repr(m), "keys": ",".join(m.state_dict().keys()), "steps": len(shapes)})


def ghost(out, name, virtual, momentum):
    """Ghost batch norm as PyTorch users write it: BatchNorm2d called on each chunk in order."""
    torch.manual_seed(17)
    bn = torch.nn.BatchNorm2d(3, momentum=momentum)
    affine_init(bn)
    t = {"weight": bn.weight.detach().clone(), "bias": bn.bias.detach().clone()}
    for s, n in enumerate((8, 4)):
        x = (torch.randn(n, 3, 4, 5) * (s + 1) + s).requires_grad_(True)
        y = torch.cat([bn(c) for c in x.split(virtual)])
        dy = torch.randn_like(y)
        bn.weight.grad = None
        bn.bias.grad = None
        y.backward(dy)
        t.update({"x%d" % s: x, "y%d" % s: y, "dy%d" % s: dy, "dx%d" % s: x.grad,
                  "dweight%d" % s: bn.weight.grad, "dbias%d" % s: bn.bias.grad,
                  "running_mean%d" % s: bn.running_mean.clone(), "running_var%d" % s: bn.running_var.clone(),
                  "num_batches_tracked%d" % s: bn.num_batches_tracked.to(torch.float32)})
    bn.eval()
    x = torch.randn(6, 3, 4, 5)
    t["x_eval"] = x
    t["y_eval"] = bn(x)
    save("%s/%s.safetensors" % (out, name), t, {"virtual_batch_size": virtual, "momentum": momentum})


if __name__ == "__main__":
    out = sys.argv[1]
    shapes = [(3, 6, 4, 5), (2, 6, 3, 7)]
    normalization(out, "groupnorm_g3", lambda: torch.nn.GroupNorm(3, 6), shapes, 20)
    normalization(out, "groupnorm_g2_noaffine", lambda: torch.nn.GroupNorm(2, 6, eps=1e-3, affine=False),
                  shapes, 21)
    normalization(out, "groupnorm_g1_2d", lambda: torch.nn.GroupNorm(1, 6), [(4, 6), (3, 6)], 22)
    normalization(out, "instancenorm2d", lambda: torch.nn.InstanceNorm2d(6), shapes, 23)
    normalization(out, "instancenorm2d_affine", lambda: torch.nn.InstanceNorm2d(6, affine=True), shapes, 24)
    normalization(out, "instancenorm2d_tracked",
                  lambda: torch.nn.InstanceNorm2d(6, momentum=0.3, affine=True, track_running_stats=True), shapes, 25)
    ghost(out, "ghost_batchnorm2d", 2, 0.1)
    conv2d(out, "conv2d_dilation2x1", 3, 1, 0, True, dilation=(2, 1))
    conv2d(out, "conv2d_k3x2_s2x1_p2x1_d2x3", (3, 2), (2, 1), (2, 1), False, dilation=(2, 3))
