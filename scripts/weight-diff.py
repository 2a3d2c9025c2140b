#!/usr/bin/env python3
"""The largest absolute difference between two safetensors files' tensors of the same names (float32).

    scripts/weight-diff.py A.safetensors B.safetensors
"""
import json, struct, sys
import numpy as np


def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    return {k: np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=np.float32)
            for k, v in header.items() if k != "__metadata__" and v["dtype"] == "F32"}


a, b = load(sys.argv[1]), load(sys.argv[2])
if a.keys() != b.keys():
    sys.exit("the files hold different tensors")
worst = max(a, key=lambda k: float(np.max(np.abs(a[k] - b[k]))) if a[k].size else 0.0)
print(f"{len(a)} tensors; largest difference {float(np.max(np.abs(a[worst] - b[worst]))):.3g} in {worst}; "
      f"largest weight {max(float(np.max(np.abs(t))) for t in b.values() if t.size):.3g}")
