#!/usr/bin/python3
"""Peer benchmarks for `alignguard bench`: prints one JSON object per line.

Run with Debian's python (it has numpy and torch 1.13):

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers.py

numpy's matmul must run on OpenBLAS (Debian package libopenblas0-pthread). If the system's
libblas.so.3 alternative is the reference BLAS, this script re-executes itself with the OpenBLAS
directory first on LD_LIBRARY_PATH, so numpy (and torch's generic BLAS) load OpenBLAS. Everything
runs on 2 threads; each figure is the median over repetitions after warm-up.
"""
import ctypes
import json
import os
import statistics
import sys
import time

THREADS = 2
OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"

if __name__ == "__main__" and os.environ.get("ALIGNGUARD_PEERS_CHILD") != "1":
    env = dict(os.environ)
    env["ALIGNGUARD_PEERS_CHILD"] = "1"
    if os.path.isdir(OPENBLAS_DIR):
        env["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(THREADS)
    os.execve(sys.executable, [sys.executable] + sys.argv, env)

import numpy as np  # noqa: E402  (after the environment is fixed)


def emit(**kv):
    print(json.dumps(kv), flush=True)


def blas_info():
    """Which BLAS numpy loaded, and OpenBLAS's core name and thread count when it is OpenBLAS."""
    libs = sorted({line.split()[-1] for line in open("/proc/self/maps") if "blas" in line.split()[-1]})
    info = {"libs": libs}
    try:
        from threadpoolctl import threadpool_info  # not installed on Debian by default
        info["threadpoolctl"] = threadpool_info()
    except ImportError:
        pass
    for lib in libs:
        if "openblas" in lib:
            try:
                ob = ctypes.CDLL(lib)
                ob.openblas_get_corename.restype = ctypes.c_char_p
                ob.openblas_get_config.restype = ctypes.c_char_p
                info["openblas_corename"] = ob.openblas_get_corename().decode()
                info["openblas_config"] = ob.openblas_get_config().decode()
                info["openblas_threads"] = ob.openblas_get_num_threads()
                break
            except (OSError, AttributeError):
                pass
    return info


def median_time(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def numpy_sgemm(n, warmup, reps, backend):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    c = np.empty((n, n), dtype=np.float32)
    t = median_time(lambda: np.matmul(a, b, out=c), warmup, reps)
    emit(name=f"sgemm_{n}", peer="numpy-" + backend, value=round(2.0 * n ** 3 / t / 1e9, 2),
         unit="GFLOP/s", reps=reps, threads=THREADS)


def torch_conv(batch, cin, cout, hw, warmup, reps):
    import torch
    torch.manual_seed(0)
    x = torch.randn(batch, cin, hw, hw, requires_grad=True)
    w = torch.randn(cout, cin, 3, 3, requires_grad=True)
    gy = torch.randn(batch, cout, hw, hw)

    def step():
        x.grad = None
        w.grad = None
        y = torch.nn.functional.conv2d(x, w, None, 1, 1)
        y.backward(gy)  # grad input + grad weight

    t = median_time(step, warmup, reps)
    emit(name=f"conv2d_fwd_bwd_b{batch}_c{cin}x{cout}_{hw}x{hw}_k3p1", peer="torch-" + torch.__version__,
         value=round(t * 1e3, 3), unit="ms", reps=reps, threads=torch.get_num_threads())


def torch_mlp(batch, width, warmup, reps):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(width, width), torch.nn.GELU(),
        torch.nn.Linear(width, width), torch.nn.GELU(),
        torch.nn.Linear(width, width))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randn(batch, width)
    target = torch.randn(batch, width)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.mse_loss(model(x), target)
        loss.backward()
        opt.step()

    t = median_time(step, warmup, reps)
    emit(name=f"mlp_step_b{batch}_w{width}_3layer_adamw", peer="torch-" + torch.__version__,
         value=round(t * 1e3, 3), unit="ms", reps=reps, threads=torch.get_num_threads())


def main():
    info = blas_info()
    backend = "openblas" if any("openblas" in lib for lib in info["libs"]) else "refblas"
    emit(name="peer_env", numpy=np.__version__, blas=info,
         OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE"),
         OPENBLAS_L2_SIZE=os.environ.get("OPENBLAS_L2_SIZE"))
    numpy_sgemm(512, 5, 21, backend)
    numpy_sgemm(1024, 3, 11, backend)
    import torch
    torch.set_num_threads(THREADS)
    torch_conv(32, 64, 64, 16, 5, 21)
    torch_mlp(64, 256, 20, 101)


if __name__ == "__main__":
    main()
