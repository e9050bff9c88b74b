#!/usr/bin/env python3
# Golden values of the losses of issue 11 (MSE, L1, smooth L1, BCE with logits, NLL, cross-entropy
# with class weights, ignore index and label smoothing, each reduction), from PyTorch (Debian's
# python3-torch 1.13, CPU, float32). Generated with, from the repository root:
#
#   /usr/bin/python3 core/src/test/python/losses_golden.py core/src/test/resources/golden/losses.safetensors
#
# Case NAME holds NAME.x (the input), NAME.target (float targets) or NAME.labels (I64 class
# indices), NAME.weight (class weights) or NAME.pos_weight (BCE's positive weights) when used,
# NAME.y (the loss), NAME.dy (the upstream gradient) and NAME.dx, NAME.dtarget (the gradients of
# sum(y * dy)). Read by
# org.grad4j.core.LossesGoldenTest.
import sys

import torch
import torch.nn.functional as F

from golden_io import write

torch.manual_seed(345)
out = {}


def put(name, t):
    out[name] = t.detach().contiguous()


def case(name, fn, x, target=None, **constants):
    """Records x, the target, the constants, y = fn(x, target), a random dy and the gradients of sum(y * dy)."""
    x = x.clone().requires_grad_(True)
    args = [x]
    if target is not None:
        target = target.clone().requires_grad_(target.is_floating_point())
        args.append(target)
    y = fn(*args)
    dy = torch.randn(y.shape)
    (y * dy).sum().backward()
    put(f"{name}.x", x)
    put(f"{name}.dx", x.grad)
    put(f"{name}.y", y)
    put(f"{name}.dy", dy)
    if target is not None:
        put(f"{name}.target" if target.is_floating_point() else f"{name}.labels", target)
        if target.is_floating_point():
            put(f"{name}.dtarget", target.grad)
    for k, v in constants.items():
        put(f"{name}.{k}", v)


x = torch.randn(4, 3) * 2
t = torch.randn(4, 3) * 2
for r in ("mean", "sum", "none"):
    case(f"mse_{r}", lambda a, b: F.mse_loss(a, b, reduction=r), x, t)
    case(f"l1_{r}", lambda a, b: F.l1_loss(a, b, reduction=r), x, t)
    case(f"smooth_l1_{r}", lambda a, b: F.smooth_l1_loss(a, b, reduction=r, beta=1.5), x, t)
case("smooth_l1_beta0", lambda a, b: F.smooth_l1_loss(a, b, beta=0.0), x, t)
# Logits up to +-60: the naive log(sigmoid) form would overflow exp in float32.
logits = torch.cat([torch.randn(2, 5) * 3, torch.tensor([[60.0, -60.0, 30.0, -30.0, 0.0]])])
probs = torch.rand(3, 5)
for r in ("mean", "sum", "none"):
    case(f"bce_{r}", lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r), logits, probs)

z = torch.randn(6, 5) * 2
labels = torch.tensor([1, 4, -100, 0, 4, 2])
weight = torch.rand(5) + 0.5
for r in ("mean", "sum", "none"):
    case(f"nll_{r}", lambda a, b: F.nll_loss(torch.log_softmax(a, 1), b, weight=weight, reduction=r),
         z, labels, weight=weight)
    case(f"ce_{r}", lambda a, b: F.cross_entropy(a, b, weight=weight, reduction=r, label_smoothing=0.1),
         z, labels, weight=weight)
    case(f"ce_ignore_{r}", lambda a, b: F.cross_entropy(a, b, ignore_index=4, reduction=r, label_smoothing=0.2),
         z, torch.tensor([1, 4, 3, 0, 4, 2]))
case("ce_weight_only", lambda a, b: F.cross_entropy(a, b, weight=weight), z, torch.tensor([1, 4, 3, 0, 4, 2]),
     weight=weight)
nll_x = torch.randn(3, 4)
case("nll_plain", lambda a, b: F.nll_loss(a, b), nll_x, torch.tensor([3, 0, 2]))

# Appended last so that the cases above keep their random draws.
pos_weight = torch.rand(5) * 3
for r in ("mean", "none"):
    case(f"bce_pos_weight_{r}", lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=r, pos_weight=pos_weight),
         logits, probs, pos_weight=pos_weight)

write(sys.argv[1], out, "core/src/test/python/losses_golden.py")
