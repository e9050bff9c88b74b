# Golden values for grad4j's optimizers, gradient clipping and learning-rate schedules, from PyTorch 1.13 (CPU).
#
# Run from the repository root with Debian's python3-torch:
#     /usr/bin/python3 train/src/test/python/optim_goldens.py
# It writes train/src/test/resources/golden/optim_*.safetensors (the tests never run Python).
#
# Optimizer files: parameters p0 [3, 4] and p1 [4] (seeded randn) start as `init.p0`, `init.p1`; step t
# (0-based) applies gradients `grad.t.p0`, `grad.t.p1` (seeded randn, scaled by a per-step factor between
# 0.01 and 10 so that the adaptive optimizers see gradients of different sizes) and leaves `param.t.p0`,
# `param.t.p1`. The metadata `steps` is the number of steps and `options` the constructor's arguments.
# Clipping: `grad.p0`, `grad.p1` in, `clipped.p0`, `clipped.p1` and `total_norm` out, per case.
# Schedules: the learning rate used at steps 0..n-1 (read before each scheduler.step()), as Python repr
# doubles in the metadata key `lrs` (comma-separated), so no float32 rounding is involved.
import json
import math
import struct
from pathlib import Path

import warnings

import torch

OUT = Path("train/src/test/resources/golden")
STEPS = 6


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for name, t in tensors.items():
        data = t.detach().contiguous().to(torch.float32).numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def gradients(seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(STEPS):
        scale = 10 ** (torch.rand(1, generator=g).item() * 3 - 2)
        out.append((torch.randn(3, 4, generator=g) * scale, torch.randn(4, generator=g) * scale))
    return out


def run_optimizer(name, make, options, seed):
    g = torch.Generator().manual_seed(seed)
    p0 = torch.randn(3, 4, generator=g).requires_grad_(True)
    p1 = torch.randn(4, generator=g).requires_grad_(True)
    tensors = {"init.p0": p0.detach().clone(), "init.p1": p1.detach().clone()}
    opt = make(p0, p1)
    for t, (g0, g1) in enumerate(gradients(seed + 1)):
        p0.grad = g0.clone()
        p1.grad = g1.clone()
        opt.step()
        tensors[f"grad.{t}.p0"] = g0
        tensors[f"grad.{t}.p1"] = g1
        tensors[f"param.{t}.p0"] = p0.detach().clone()
        tensors[f"param.{t}.p1"] = p1.detach().clone()
    write_safetensors(OUT / f"optim_{name}.safetensors", tensors, {"steps": STEPS, "options": options})


def optimizers():
    o = torch.optim
    cases = {
        "sgd_nesterov": ("lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3",
                         lambda a, b: o.SGD([a, b], lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
        "sgd_dampening": ("lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01",
                          lambda a, b: o.SGD([a, b], lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
        "adam_default": ("lr=1e-2", lambda a, b: o.Adam([a, b], lr=1e-2)),
        "adam_l2_amsgrad": ("lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True",
                            lambda a, b: o.Adam([a, b], lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1,
                                                amsgrad=True)),
        "adamw_default": ("lr=1e-2 (weight_decay=1e-2)", lambda a, b: o.AdamW([a, b], lr=1e-2)),
        "adamw_amsgrad": ("lr=1e-2, betas=(0.85, 0.95), weight_decay=0.1, amsgrad=True",
                          lambda a, b: o.AdamW([a, b], lr=1e-2, betas=(0.85, 0.95), weight_decay=0.1, amsgrad=True)),
        "rmsprop_default": ("lr=1e-2", lambda a, b: o.RMSprop([a, b], lr=1e-2)),
        "rmsprop_momentum": ("lr=1e-2, momentum=0.8", lambda a, b: o.RMSprop([a, b], lr=1e-2, momentum=0.8)),
        "rmsprop_full": ("lr=1e-2, alpha=0.9, eps=1e-6, weight_decay=0.05, momentum=0.8, centered=True",
                         lambda a, b: o.RMSprop([a, b], lr=1e-2, alpha=0.9, eps=1e-6, weight_decay=0.05,
                                                momentum=0.8, centered=True)),
        "adamw_groups": ("[{params: [p0]}, {params: [p1], lr: 0.05, weight_decay: 0}], lr=1e-2, weight_decay=0.1",
                         lambda a, b: o.AdamW([{"params": [a]}, {"params": [b], "lr": 0.05, "weight_decay": 0.0}],
                                              lr=1e-2, weight_decay=0.1)),
    }
    for i, (name, (options, make)) in enumerate(cases.items()):
        run_optimizer(name, make, options, 100 + 10 * i)


def clipping():
    g = torch.Generator().manual_seed(7)
    tensors = {}
    cases = [("l2_clips", 1.0, 2.0), ("l2_keeps", 100.0, 2.0), ("inf_clips", 0.5, math.inf), ("l3_clips", 1.0, 3.0)]
    for name, max_norm, norm_type in cases:
        a = torch.zeros(3, 4, requires_grad=True)
        b = torch.zeros(4, requires_grad=True)
        a.grad = torch.randn(3, 4, generator=g)
        b.grad = torch.randn(4, generator=g) * 3
        tensors[f"{name}.grad.p0"] = a.grad.clone()
        tensors[f"{name}.grad.p1"] = b.grad.clone()
        total = torch.nn.utils.clip_grad_norm_([a, b], max_norm, norm_type)
        tensors[f"{name}.clipped.p0"] = a.grad.clone()
        tensors[f"{name}.clipped.p1"] = b.grad.clone()
        tensors[f"{name}.total_norm"] = total.reshape(())
    meta = {f"{n}.max_norm": repr(m) for n, m, _ in cases}
    # Java spells infinity "Infinity".
    meta.update({f"{n}.norm_type": "Infinity" if t == math.inf else repr(float(t)) for n, _, t in cases})
    write_safetensors(OUT / "optim_clip_grad_norm.safetensors", tensors, meta)


def schedule_lrs(make, base_lr, steps):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        p.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return lrs


def schedules():
    s = torch.optim.lr_scheduler
    cases = {
        "linear_warmup": (lambda o: s.LinearLR(o, start_factor=0.25, total_iters=4), 0.1, 8),
        "linear_decay": (lambda o: s.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5), 0.3, 8),
        "one_cycle": (lambda o: s.OneCycleLR(o, max_lr=0.1, total_steps=20, cycle_momentum=False), 0.1, 20),
        "one_cycle_custom": (lambda o: s.OneCycleLR(o, max_lr=2.0, total_steps=17, pct_start=0.25, div_factor=10,
                                                    final_div_factor=100, cycle_momentum=False), 2.0, 17),
        # 3 + 7 + 1 steps: up to the cosine's end, where grad4j holds eta_min and PyTorch's recursive form rises again.
        "warmup_then_cosine": (lambda o: s.SequentialLR(o, [s.LinearLR(o, start_factor=0.1, total_iters=3),
                                                            s.CosineAnnealingLR(o, T_max=7, eta_min=0.001)],
                                                        milestones=[3]), 0.5, 11),
    }
    meta = {}
    for name, (make, base, steps) in cases.items():
        meta[f"{name}.lrs"] = ",".join(repr(x) for x in schedule_lrs(make, base, steps))
        meta[f"{name}.base_lr"] = repr(base)
    write_safetensors(OUT / "optim_schedules.safetensors", {"unused": torch.zeros(1)}, meta)


if __name__ == "__main__":
    # SequentialLR steps its second scheduler with an epoch argument, which 1.13 warns about.
    warnings.filterwarnings("ignore", message="The epoch parameter")
    OUT.mkdir(parents=True, exist_ok=True)
    optimizers()
    clipping()
    schedules()
