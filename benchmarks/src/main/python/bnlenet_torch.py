#!/usr/bin/env python3
"""PyTorch's speed on the steps that grad4j's JMH benchmarks measure (the speed comparison's reference).

    /usr/bin/python3 benchmarks/src/main/python/bnlenet_torch.py            # every case, about 2 minutes
    /usr/bin/python3 benchmarks/src/main/python/bnlenet_torch.py --config a --threads 2 --mode train

Set-up on Debian: apt-get install python3-torch (PyTorch 1.13, CPU). With libopenblas0-pthread
installed, also export OPENBLAS_NUM_THREADS=1 (PyTorch's threads, not OpenBLAS's, split the work).

Mirrors benchmarks/.../TrainStepBenchmark.java and EvalStepBenchmark.java:
- the model is the chapter's BN-LeNet (conv 5x5 (6) - BN - sigmoid - max pool 2, conv 5x5 (16) - BN -
  sigmoid - max pool 2, flatten, linear 120 - BN - sigmoid, linear 84 - BN - sigmoid, linear 10),
  xavier-uniform weights, zero biases;
- the input is 4 seeded synthetic batches (uniform pixels in [0, 1), uniform labels), cycled through;
- config a: 28x28 images, batch 256; config b: 96x96, batch 32;
- a train step is zero grads, forward, cross-entropy, backward, reading the loss, SGD step at lr 1.0,
  in training mode; every iteration starts again from the initial weights and running statistics;
- an eval step is a forward pass in eval mode under torch.no_grad();
- JMH's schedule: 5 warm-up iterations, then 5 measured ones, each running steps for a fixed time
  (2 s for train, 1 s for eval); the score is examples per second over a measured iteration.

Each measured iteration also records how much of the machine other processes used meanwhile
("foreign cores", from /proc/stat minus this process's CPU time): trust a figure only when that
stayed well below 0.1 cores.
"""
import argparse
import copy
import os
import statistics
import sys
import time

import torch
from torch import nn


def bn_lenet(size):
    """BN-LeNet for size x size inputs, as BnLeNet.model(size, library) builds it."""
    s = ((size - 4) // 2 - 4) // 2
    net = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5), nn.BatchNorm2d(6), nn.Sigmoid(), nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, kernel_size=5), nn.BatchNorm2d(16), nn.Sigmoid(), nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(16 * s * s, 120), nn.BatchNorm1d(120), nn.Sigmoid(),
        nn.Linear(120, 84), nn.BatchNorm1d(84), nn.Sigmoid(),
        nn.Linear(84, 10))
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def batches(size, batch, count=4, seed=345):
    g = torch.Generator().manual_seed(seed)
    return [(torch.rand(batch, 1, size, size, generator=g), torch.randint(0, 10, (batch,), generator=g))
            for _ in range(count)]


def busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores, /proc/stat), or None off Linux."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)   # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run_iteration(step, seconds):
    """Runs step() for about `seconds`; returns (examples per second, foreign cores or None)."""
    busy0, own0, t0 = busy_seconds(), time.process_time(), time.perf_counter()
    examples = 0
    while True:
        examples += step()
        wall = time.perf_counter() - t0
        if wall >= seconds:
            break
    busy1, own1 = busy_seconds(), time.process_time()
    foreign = None if busy0 is None else max(0.0, (busy1 - busy0) - (own1 - own0)) / wall
    return examples / wall, foreign


def measure(mode, size, batch, threads, warmup, iterations, seconds):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = bn_lenet(size)
    initial = copy.deepcopy(net.state_dict())
    data = batches(size, batch)
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    loss_fn = nn.CrossEntropyLoss()
    position = [0]

    def next_batch():
        x, y = data[position[0]]
        position[0] = (position[0] + 1) % len(data)
        return x, y

    def train_step():
        x, y = next_batch()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        value = loss.item()
        if value != value:
            raise RuntimeError("BN-LeNet training step: loss is NaN")
        opt.step()
        return batch

    def eval_step():
        x, _ = next_batch()
        with torch.no_grad():
            net(x)
        return batch

    if mode == "train":
        net.train()
        step = train_step
    else:
        net.eval()
        step = eval_step
    scores, foreign = [], []
    for i in range(warmup + iterations):
        if mode == "train":   # every iteration from the same initial weights, as the JMH state does
            net.load_state_dict(initial)
            position[0] = 0
        score, f = run_iteration(step, seconds)
        if i >= warmup:
            scores.append(score)
            foreign.append(f)
    return scores, foreign


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", choices=["a", "b"], action="append",
                   help="a: 28x28 batch 256; b: 96x96 batch 32 (default: both)")
    p.add_argument("--threads", type=int, action="append", help="PyTorch threads (default: 1 and 2)")
    p.add_argument("--mode", choices=["train", "eval"], action="append", help="default: both")
    p.add_argument("--warmup", type=int, default=5, help="warm-up iterations (default 5)")
    p.add_argument("--iterations", type=int, default=5, help="measured iterations (default 5)")
    p.add_argument("--time-scale", type=float, default=1.0,
                   help="multiplies the iteration time (2 s train, 1 s eval); below 1 for a quick look")
    a = p.parse_args(argv)
    configs = {"a": (28, 256), "b": (96, 32)}
    torch.set_num_interop_threads(1)
    print(f"# PyTorch {torch.__version__}, {torch.get_num_threads()} threads available, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}")
    for mode in a.mode or ["train", "eval"]:
        for config in a.config or ["a", "b"]:
            size, batch = configs[config]
            for threads in a.threads or [1, 2]:
                seconds = (2.0 if mode == "train" else 1.0) * a.time_scale
                scores, foreign = measure(mode, size, batch, threads, a.warmup, a.iterations, seconds)
                known = [f for f in foreign if f is not None]
                print(f"pytorch {mode:5s} config {config} ({size}x{size}, batch {batch}), {threads} thread"
                      f"{'s' if threads > 1 else ' '}: {statistics.mean(scores):9.0f} examples/s"
                      f" (iterations {min(scores):.0f} to {max(scores):.0f})"
                      + (f", foreign cores up to {max(known):.2f}" if known else ""), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
