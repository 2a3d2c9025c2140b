#!/usr/bin/python3
"""Independent safetensors reader/writer for interop tests with the Java code.

It uses only struct, json and PyTorch (not the `safetensors` package), so that the Java
implementation is checked against a second, separate reading of the format spec:

    8 bytes   N, the JSON header length, unsigned little-endian
    N bytes   JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets"}},
              padded with spaces
    rest      raw little-endian tensor bytes, data_offsets counted from the end of the header

PyTorch 1.13 is installed only for Debian's python, so run it as /usr/bin/python3.
CI never runs this script: the files it makes are committed, and the Java test reads them.

Python -> Java (regenerate the fixtures the Java test reads; run from tensor/):
    /usr/bin/python3 src/test/python/safetensors_interop.py generate src/test/resources/fixtures/safetensors
  writes from_python_{f32,f16,bf16}.safetensors and from_python_expected.json. The expected
  values are PyTorch's own float32 conversion of each stored tensor, as raw float32 bit patterns
  (JSON has no NaN or infinity).

Java -> Python (check what the Java writer produced; run from tensor/):
    mvn -o -pl tensor test -Dtest=SafetensorsTest     # writes target/from_java*.safetensors
    for f in from_java from_java_f16 from_java_bf16; do
      /usr/bin/python3 src/test/python/safetensors_interop.py verify \\
          target/$f.safetensors target/from_java_expected.json
    done
  and, when the writer changed on purpose and all three pass, copy target/from_java*.{safetensors,json}
  to src/test/resources/fixtures/safetensors/ (the Java test asserts that its writer still
  produces those committed files byte for byte). The expected JSON holds the float32 values Java
  wrote; for an F16 or BF16 file the verifier rounds them with PyTorch's .half() / .bfloat16()
  and compares bits, so Java's rounding is checked against PyTorch's too.
"""

import json
import os
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8,
    "U8": torch.uint8, "BOOL": torch.bool,
}
NAMES = {v: k for k, v in DTYPES.items()}
METADATA = "__metadata__"

assert sys.byteorder == "little", "tensor bytes are written in native order, which must be little-endian"


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:  # numpy has no bfloat16: take the same bits as int16
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def write_file(path, tensors, metadata=None):
    """Writes {name: torch tensor} sorted by name, with an optional {str: str} metadata dict."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header[METADATA] = dict(metadata)
    for name in sorted(tensors):
        t = tensors[name]
        data = tensor_bytes(t)
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_file(path):
    """Returns ({name: (dtype name, torch tensor)} in header order, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ValueError(f"{path}: header length {n} past end of file")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    metadata = header.pop(METADATA, {})
    data = raw[8 + n:]
    out, covered = {}, []
    for name, info in header.items():
        begin, end = info["data_offsets"]
        dtype, shape = DTYPES[info["dtype"]], info["shape"]
        count = 1
        for d in shape:
            count *= d
        if end - begin != count * torch.tensor([], dtype=dtype).element_size() or end > len(data):
            raise ValueError(f"{path}: tensor {name}: bad offsets {begin},{end} for {shape}")
        if count == 0:
            t = torch.zeros(shape, dtype=dtype)
        else:
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype).reshape(shape)
        out[name] = (info["dtype"], t)
        covered.append((begin, end))
    pos = 0
    for begin, end in sorted(covered):
        if begin != pos:
            raise ValueError(f"{path}: data not covered contiguously at byte {pos}")
        pos = end
    if pos != len(data):
        raise ValueError(f"{path}: {len(data) - pos} trailing data bytes")
    return out, metadata


def f32_bits(t):
    """The tensor converted to float32 by PyTorch, as a flat list of signed 32-bit patterns."""
    return t.to(torch.float32).contiguous().view(torch.int32).reshape(-1).tolist()


def from_bits(bits, dtype):
    """A 1-d tensor of the 16-bit float type `dtype` with the given unsigned bit patterns."""
    signed = [b - 0x10000 if b >= 0x8000 else b for b in bits]
    return torch.tensor(signed, dtype=torch.int16).view(dtype)


def generate(outdir):
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(20240601)
    meta = {"format": "pt", "source": "safetensors_interop.py"}
    files = {
        "from_python_f32.safetensors": {
            "layer.weight": torch.randn(3, 4),
            "layer.bias": torch.randn(4),
            "conv.weight": torch.randn(2, 1, 3, 3),
            "scalar": torch.tensor(3.5),
            "empty": torch.zeros(0, 3),
            "special": torch.tensor([float("inf"), float("-inf"), float("nan"), -0.0,
                                     1.401298464324817e-45, 3.4028234663852886e38, -1.5]),
        },
        "from_python_f16.safetensors": {
            "w": torch.randn(4, 5).half(),
            # min/max subnormal, min normal, max, +-inf, nan, -0, 1, -2, ~1/3, -min subnormal
            "special": from_bits([0x0001, 0x03FF, 0x0400, 0x7BFF, 0x7C00, 0xFC00, 0x7E00,
                                  0x8000, 0x3C00, 0xC000, 0x3555, 0x8001], torch.float16),
        },
        "from_python_bf16.safetensors": {
            "w": torch.randn(3, 3).bfloat16(),
            "scalar": torch.tensor(-0.75).bfloat16(),
            # min/max subnormal, min normal, max, +-inf, nan, -0, 1, ~1/3, ~pi
            "special": from_bits([0x0001, 0x007F, 0x0080, 0x7F7F, 0x7F80, 0xFF80, 0x7FC0,
                                  0x8000, 0x3F80, 0x3EAB, 0x4049], torch.bfloat16),
        },
    }
    expected = {}
    for fname, tensors in files.items():
        path = os.path.join(outdir, fname)
        write_file(path, tensors, meta)
        back, back_meta = read_file(path)  # self-check of the writer against the reader
        assert back_meta == meta and set(back) == set(tensors)
        expected[fname] = {
            "metadata": meta,
            "tensors": {name: {"dtype": NAMES[t.dtype], "shape": list(t.shape), "f32_bits": f32_bits(t)}
                        for name, t in sorted(tensors.items())},
        }
        print(f"wrote {path} ({os.path.getsize(path)} bytes)")
    path = os.path.join(outdir, "from_python_expected.json")
    with open(path, "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {path}")


def verify(path, expected_path):
    """Checks a file (written by Java) against the float32 values in the expected JSON."""
    with open(expected_path) as f:
        expected = json.load(f)
    if "tensors" not in expected:  # a file of several entries keyed by file name
        expected = expected[os.path.basename(path)]
    got, metadata = read_file(path)
    problems = []
    if metadata != expected["metadata"]:
        problems.append(f"metadata {metadata} != {expected['metadata']}")
    if set(got) != set(expected["tensors"]):
        problems.append(f"names {sorted(got)} != {sorted(expected['tensors'])}")
    checked = 0
    for name, want in expected["tensors"].items():
        if name not in got:
            continue
        dtype, t = got[name]
        if list(t.shape) != want["shape"]:
            problems.append(f"{name}: shape {list(t.shape)} != {want['shape']}")
            continue
        ref = torch.tensor(want["f32_bits"], dtype=torch.int32).view(torch.float32).reshape(want["shape"])
        ref = ref.to(DTYPES[dtype])  # what PyTorch stores for these float32 values in this dtype
        a, b = t.reshape(-1), ref.reshape(-1)
        for i in range(a.numel()):
            x, y = a[i:i + 1], b[i:i + 1]
            same_nan = bool(torch.isnan(x.float())) and bool(torch.isnan(y.float()))
            if not same_nan and f32_bits(x) != f32_bits(y):
                problems.append(f"{name}[{i}] ({dtype}): {x.item()!r} != expected {y.item()!r}")
            checked += 1
    if problems:
        print(f"FAIL {path}:")
        for p in problems[:20]:
            print("  " + p)
        return 1
    dtypes = sorted({d for d, _ in got.values()})
    print(f"OK {path}: {len(got)} tensors, {checked} values, dtypes {dtypes}, metadata {metadata}")
    return 0


def main(argv):
    if len(argv) == 2 and argv[0] == "generate":
        generate(argv[1])
        return 0
    if len(argv) == 3 and argv[0] == "verify":
        return verify(argv[1], argv[2])
    print(__doc__)
    print("usage: safetensors_interop.py generate OUTDIR | verify FILE EXPECTED_JSON")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
