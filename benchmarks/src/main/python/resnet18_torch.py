#!/usr/bin/python3
"""PyTorch reference for grad4j's ResNet-18 benchmarks (ResNetTrainStepBenchmark, ResNetEvalStepBenchmark).

d2l's ResNet-18 for Fashion-MNIST (chapter "Residual Networks (ResNet)"), built as the book builds it,
a flat nn.Sequential(b1, b2, b3, b4, b5, AdaptiveAvgPool2d((1, 1)), Flatten(), Linear(512, 10)), so
that its state-dict names are the ones grad4j's ResNet18.model() uses (0.0.weight, 1.0.conv1.weight,
2.0.conv3.weight, 7.bias, ...). The training step is the JMH one: zero the gradients, forward,
cross-entropy, backward, read the loss, SGD step (lr 0.05); the eval step is eval mode, no_grad,
forward. Synthetic batches (uniform pixels, uniform labels): the arithmetic does not depend on them.

Run with Debian's python3-torch (PyTorch 1.13, CPU), from the repository root:

    /usr/bin/python3 benchmarks/src/main/python/resnet18_torch.py --threads 2 --batch 32 --size 96

Prints one line per measurement round and a summary line per step kind with the median examples/s,
and the CPU other processes used meanwhile (in cores, from /proc/stat), since the machine is shared.
"""
import argparse
import os
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F


class Residual(nn.Module):
    """conv3x3(stride) - BN - ReLU - conv3x3 - BN, plus the input (through a 1x1 conv when asked), ReLU."""

    def __init__(self, in_channels, channels, use_1x1conv=False, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, channels, kernel_size=3, padding=1, stride=stride)
        self.conv2 = nn.Conv2d(channels, channels, kernel_size=3, padding=1)
        self.conv3 = nn.Conv2d(in_channels, channels, kernel_size=1, stride=stride) if use_1x1conv else None
        self.bn1 = nn.BatchNorm2d(channels)
        self.bn2 = nn.BatchNorm2d(channels)

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = self.conv3(x) if self.conv3 is not None else x
        return F.relu(y + shortcut)


def stage(in_channels, channels, blocks, first):
    """A stage of residual blocks; all but the first stage halve the size and change the width in block 0."""
    layers = []
    for i in range(blocks):
        if i == 0 and not first:
            layers.append(Residual(in_channels, channels, use_1x1conv=True, stride=2))
        else:
            layers.append(Residual(channels, channels))
    return nn.Sequential(*layers)


def resnet18(width=64, classes=10):
    """d2l's ResNet-18 with stage widths width, 2 width, 4 width, 8 width (the book: 64)."""
    w = [width, 2 * width, 4 * width, 8 * width]
    b1 = nn.Sequential(nn.Conv2d(1, w[0], kernel_size=7, stride=2, padding=3), nn.BatchNorm2d(w[0]), nn.ReLU(),
                       nn.MaxPool2d(kernel_size=3, stride=2, padding=1))
    return nn.Sequential(b1, stage(w[0], w[0], 2, True), stage(w[0], w[1], 2, False), stage(w[1], w[2], 2, False),
                         stage(w[2], w[3], 2, False), nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(),
                         nn.Linear(w[3], classes))


def xavier(net):
    """d2l's train_ch6 initialisation: xavier-uniform weights of every Conv2d and Linear."""
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)


class OtherLoad:
    """CPU time other processes used during the block, in cores (busy time from /proc/stat minus our own)."""

    @staticmethod
    def _now():
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        t = os.times()
        return busy, t.user + t.system, time.perf_counter()

    def __enter__(self):
        self.start = self._now()
        return self

    def __exit__(self, *exc):
        end = self._now()
        self.cores = max(0.0, ((end[0] - self.start[0]) - (end[1] - self.start[1])) / (end[2] - self.start[2]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--size", type=int, default=96)
    p.add_argument("--width", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--warmup", type=int, default=3, help="untimed steps before measuring")
    p.add_argument("--steps", type=int, default=5, help="timed steps per round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--only", choices=["train", "eval"], help="measure one step kind only")
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = resnet18(a.width)
    xavier(net)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr)
    gen = torch.Generator().manual_seed(345)
    batches = [(torch.rand(a.batch, 1, a.size, a.size, generator=gen),
                torch.randint(0, 10, (a.batch,), generator=gen)) for _ in range(4)]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, ResNet-18 width {a.width}, "
          f"batch {a.batch} of 1x{a.size}x{a.size}")

    def train_step(i):
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        value = loss.item()
        opt.step()
        return value

    def eval_step(i):
        with torch.no_grad():
            return net(batches[i % len(batches)][0])

    kinds = [("train", train_step, net.train), ("eval", eval_step, net.eval)]
    for name, step, mode in kinds:
        if a.only and a.only != name:
            continue
        mode()
        for i in range(a.warmup):
            step(i)
        rates = []
        for r in range(a.rounds):
            with OtherLoad() as load:
                t0 = time.perf_counter()
                for i in range(a.steps):
                    step(i)
                seconds = time.perf_counter() - t0
            rates.append(a.steps * a.batch / seconds)
            print(f"{name} round {r}: {rates[-1]:.1f} examples/s (other processes: {load.cores:.2f} cores)")
        print(f"{name}: median {statistics.median(rates):.1f} examples/s over {a.rounds} rounds of {a.steps} steps")


if __name__ == "__main__":
    main()
