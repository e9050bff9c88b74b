#!/usr/bin/env python3
"""The PyTorch golden file of the resize parity test: Fashion-MNIST images 28x28 -> 96x96.

    /usr/bin/python3 data/src/test/python/resize_golden.py            # writes the file (from the repository root)
    /usr/bin/python3 data/src/test/python/resize_golden.py --check    # recomputes the committed file's outputs

Writes data/src/test/resources/golden/resize_96.safetensors: x, Fashion-MNIST training images 0-3
as pixels / 255 ([4, 1, 28, 28], from /usr/share/datasets/fashion-mnist or --data);
tensor_resize, F.interpolate(x, 96, bilinear, align_corners=False, antialias=False); pil_resize,
torchvision's Resize(96) on each image as a PIL "L" image, then ToTensor: what the chapter's loader
gives (Pillow's bilinear filter, rounded to 8 bits). --check starts from the committed x and fails
unless both outputs agree to 1e-6. PyTorch 1.13 and torchvision (Debian: apt-get install
python3-torch python3-torchvision); the tests never run Python.
"""
import gzip
import os
import sys

import torch
import torch.nn.functional as F
from PIL import Image
from torchvision import transforms

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../core/src/test/python"))
from golden import arguments, read_safetensors, write_safetensors  # noqa: E402

SIZE, COUNT = 96, 4
METADATA = {"op": "resize", "size": str(SIZE), "image_indices_from": "0",
            "pil_resize": "torchvision Resize on a PIL L image (Pillow bilinear, 8-bit result) then ToTensor: "
                          "what the chapter's loader gives",
            "tensor_resize": "F.interpolate bilinear align_corners=False antialias=False on pixels/255"}


def resized(x):
    tensor = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=False)
    to_pil, resize, to_tensor = transforms.ToPILImage(), transforms.Resize(SIZE), transforms.ToTensor()
    pixels = (x * 255).round().to(torch.uint8)
    pil = torch.stack([to_tensor(resize(to_pil(image))) for image in pixels])
    return {"pil_resize": pil, "tensor_resize": tensor}


def main(argv):
    a = arguments(__doc__, argv, data=True)
    path = os.path.join(a.root, "data/src/test/resources/golden/resize_96.safetensors")
    if a.check:
        stored, _ = read_safetensors(path)
        for name, value in resized(stored["x"]).items():
            diff = (value - stored[name]).abs().max().item()
            print(f"{path}: {name} recomputed, largest difference {diff:.3g}")
            if diff > 1e-6:
                return 1
        return 0
    with gzip.open(os.path.join(a.data, "train-images-idx3-ubyte.gz"), "rb") as f:
        raw = f.read(16 + COUNT * 28 * 28)[16:]
    x = torch.tensor(list(raw), dtype=torch.float32).reshape(COUNT, 1, 28, 28) / 255
    write_safetensors(path, {"x": x, **resized(x)}, METADATA)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
