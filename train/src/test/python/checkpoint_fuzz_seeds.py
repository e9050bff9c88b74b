"""Writes the seed inputs of CheckpointFuzzTest (plain Python 3, no packages).

    python3 train/src/test/python/checkpoint_fuzz_seeds.py \
        train/src/test/resources/org/grad4j/train/CheckpointFuzzTestInputs/read

Valid files (a version 2 checkpoint of the test's model, the same as version 1, a plain
safetensors file) and hostile ones: truncated, a header length past the file or of 2^64 - 1,
overlapping and out-of-range offsets, an unsupported dtype, huge shapes, a header that is not
UTF-8, deeply nested metadata, and checkpoints with a NaN weight, a negative running variance,
a negative batch count, a bad history and a bad epoch count.
"""
import json
import os
import random
import struct
import sys

F32, I64 = "F32", "I64"


def safetensors(tensors, metadata=None, header_override=None):
    """tensors: list of (name, dtype, shape, values) in file order, offsets contiguous."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    data = b""
    for name, dtype, shape, values in tensors:
        fmt = "<%d%s" % (len(values), "f" if dtype == F32 else "q")
        raw = struct.pack(fmt, *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = header_override if header_override is not None else json.dumps(header, separators=(",", ":"))
    raw_header = text.encode("utf-8") if isinstance(text, str) else text
    raw_header += b" " * (-len(raw_header) % 8)
    return struct.pack("<Q", len(raw_header)) + raw_header + data


def size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def model_tensors(rng, nan_weight=False, negative_var=False, negative_count=False):
    """The state of the test's Synthetic.net: conv 3x3 (4) - BN - ReLU - flatten - linear 4, plus momentum."""
    params = [("0.weight", [4, 1, 3, 3]), ("0.bias", [4]), ("1.weight", [4]), ("1.bias", [4]),
              ("4.weight", [4, 144]), ("4.bias", [4])]
    out = []
    for name, shape in params:
        values = [rng.uniform(-0.5, 0.5) for _ in range(size(shape))]
        if nan_weight and name == "0.weight":
            values[7] = float("nan")
        out.append((name, F32, shape, values))
        if name == "1.bias":
            var = [rng.uniform(0.5, 1.5) for _ in range(4)]
            if negative_var:
                var[2] = -0.5
            out.append(("1.running_mean", F32, [4], [rng.uniform(-0.1, 0.1) for _ in range(4)]))
            out.append(("1.running_var", F32, [4], var))
            out.append(("1.num_batches_tracked", I64, [], [-2 if negative_count else 16]))
    for i, (name, shape) in enumerate(params):
        out.append(("optimizer.momentum_buffer.%d" % i, F32, shape, [rng.uniform(-0.1, 0.1) for _ in range(size(shape))]))
    return out


HISTORY = ('{"epoch":1,"train_loss":0.65,"train_acc":0.77,"test_acc":null,"examples_per_sec":29770.0,'
           '"seconds":2.0,"gc_seconds":0.01}')


def checkpoint_metadata(version="2", epoch="1", history=HISTORY):
    m = {"format": "pt", "grad4j.checkpoint": version, "epoch": epoch, "history": history}
    if version == "2":
        m.update({"config.seed": "0", "config.lr": "0.1", "config.schedule": "constant",
                  "config.batch_size": "32", "config.train_examples": "512", "config.train_batches": "16"})
    else:
        m.update({"seed": "0", "learning_rate": "0.1", "optimizer": "SGD(lr=0.1)"})
    return m


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    rng = random.Random(345)
    model = model_tensors(rng)
    seeds = {
        "checkpoint-v2": safetensors(model, checkpoint_metadata()),
        "checkpoint-v1": safetensors(model, checkpoint_metadata(version="1")),
        "plain": safetensors([("w", F32, [2, 3], [1, 2, 3, 4, 5, 6]), ("labels", I64, [3], [3, 1, 4])],
                             {"format": "pt"}),
        "empty-header": safetensors([], header_override="{}"),
        "nan-weight": safetensors(model_tensors(random.Random(345), nan_weight=True), checkpoint_metadata()),
        "negative-running-var": safetensors(model_tensors(random.Random(345), negative_var=True),
                                            checkpoint_metadata()),
        "negative-batch-count": safetensors(model_tensors(random.Random(345), negative_count=True),
                                            checkpoint_metadata()),
        "bad-history": safetensors(model, checkpoint_metadata(history='{":1}')),
        "bad-epoch": safetensors(model, checkpoint_metadata(epoch="two")),
        "non-utf8-header": safetensors([], header_override=b'{"__metadata__":{"k":"\xff\xfe"}}'),
        "nested-metadata": safetensors([], header_override='{"__metadata__":' + "[" * 200 + "]" * 200 + "}"),
        "metadata-not-strings": safetensors([], header_override='{"__metadata__":{"epoch":1}}'),
        "wrong-dtype": safetensors([], header_override='{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}')
        + b"\0" * 4,
        "huge-shape": safetensors([], header_override='{"w":{"dtype":"F32","shape":[2147483647,2147483647],'
                                                      '"data_offsets":[0,8]}}') + b"\0" * 8,
        "zero-times-huge-shape": safetensors([], header_override='{"w":{"dtype":"F32","shape":[0,2147483647,'
                                                                 '2147483647],"data_offsets":[0,0]}}'),
        "overlapping-offsets": safetensors([], header_override='{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                                                               '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}')
        + b"\0" * 12,
        "out-of-range-offsets": safetensors([], header_override='{"a":{"dtype":"F32","shape":[2],'
                                                                '"data_offsets":[0,8]}}') + b"\0" * 4,
        "huge-offsets": safetensors([], header_override='{"a":{"dtype":"I64","shape":[1],"data_offsets":'
                                                        '[9223372036854775800,9223372036854775808]}}') + b"\0" * 8,
    }
    valid = seeds["plain"]
    seeds["truncated-header"] = valid[:20]
    seeds["truncated-data"] = valid[:-5]
    seeds["header-length-past-the-end"] = struct.pack("<Q", 1000) + valid[8:]
    seeds["hostile-header-length"] = struct.pack("<Q", 2 ** 64 - 1) + valid[8:]
    seeds["short"] = b"\x08\0\0"
    for name, data in seeds.items():
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
