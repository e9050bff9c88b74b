"""PyTorch goldens for adaptive average pooling (issue 11, item 6): torch.nn.functional.adaptive_avg_pool2d
on inputs whose sizes the output divides, does not divide, and is larger than, with the gradient of
a random upstream gradient.

Run from the repository root with Debian's python3-torch (PyTorch 1.13, CPU):

    /usr/bin/python3 core/src/test/python/adaptive_pool_golden.py core/src/test/resources/golden

Writes adaptive_avg_pool2d.safetensors through golden_io.py (float32, little-endian):
for each case k, "k.x", "k.dy", "k.y", "k.dx", and the output size in the metadata "k.out" as "OHxOW".
"""
import sys

import torch

from golden_io import write

# (N, C, H, W, OH, OW): global pooling, divisible, overlapping windows, output wider than input.
CASES = [(2, 3, 5, 7, 1, 1), (1, 2, 6, 8, 3, 4), (2, 2, 7, 5, 3, 2), (1, 1, 3, 4, 5, 6), (1, 2, 10, 9, 4, 7)]


def main(out):
    torch.manual_seed(11)
    tensors = {}
    meta = {"cases": len(CASES)}
    for k, (n, c, h, w, oh, ow) in enumerate(CASES):
        x = torch.randn(n, c, h, w, requires_grad=True)
        y = torch.nn.functional.adaptive_avg_pool2d(x, (oh, ow))
        dy = torch.randn_like(y)
        y.backward(dy)
        tensors.update({f"{k}.x": x, f"{k}.dy": dy, f"{k}.y": y, f"{k}.dx": x.grad})
        meta[f"{k}.out"] = f"{oh}x{ow}"
    write(f"{out}/adaptive_avg_pool2d.safetensors", tensors, "adaptive_pool_golden.py", meta)


if __name__ == "__main__":
    main(sys.argv[1])
