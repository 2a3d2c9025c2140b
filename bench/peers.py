#!/usr/bin/python3
"""Peer benchmarks for `alignguard bench`: prints one JSON object per line.

Run with Debian's python (it has numpy and torch 1.13), from the repository root:

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers.py              # all peers
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers.py --only dpo   # DPO step only
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peers.py --only kernels   # all but the DPO step

numpy's matmul must run on OpenBLAS (Debian package libopenblas0-pthread). If the system's
libblas.so.3 alternative is the reference BLAS, this script re-executes itself with the OpenBLAS
directory first on LD_LIBRARY_PATH, so numpy (and torch's generic BLAS) load OpenBLAS. Each figure
is the median over repetitions after warm-up.

Threads: sgemm, conv and mlp run with 2 OpenBLAS threads and 2 torch threads (`--threads N` for
another count, everywhere). The DPO step
(dpo_step_8pairs_r4, a full Diffusion-DPO training step of the shipped model's twin
bench/unet_twin.py) runs in a child process (`--only dpo`) with torch on 2 threads but OpenBLAS on 1
(OPENBLAS_NUM_THREADS=1): OpenBLAS reads that variable once, at load time, hence the child. Measured
on the 2-core AMD EPYC (Zen 4, AVX-512) host, 2026-11-30, median of 20 steps after 5 warm-up:
    torch 2 / OpenBLAS 1: 104-115 ms    torch 2 / OpenBLAS 2: 326-389 ms (OpenBLAS's threads fight
    torch's OpenMP threads for the 2 cores)    torch 1 / OpenBLAS 1: 140 ms    torch 1 / OpenBLAS 2: 137 ms
OpenBLAS 0.3.21 picks its "Cooperlake" core on that CPU from CPUID although the model name is masked
("AMD EPYC"), so OPENBLAS_CORETYPE is left unset: forcing SkylakeX, Haswell or Zen gave 132, 126
and 122 ms (no better, within noise or worse). The core in use is printed in each record
("openblas_corename"). Turning off torch's oneDNN (mkldnn) convolutions made the step slower (140 ms).
"""
import ctypes
import json
import os
import statistics
import sys
import time

OPENBLAS_DIR = "/usr/lib/x86_64-linux-gnu/openblas-pthread"

# OpenBLAS threads for the DPO step, whose torch ops run on THREADS OpenMP threads of their own
# (1 is 3x faster than 2 there; see the measurements above).
DPO_OPENBLAS_THREADS = 1


def arg(argv, name, default=None):
    """The value of option --name (e.g. --only dpo, or --only=dpo), or default."""
    for i, a in enumerate(argv):
        if a == "--" + name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--" + name + "="):
            return a.split("=", 1)[1]
    return default


def only_arg(argv):
    """The value of --only (e.g. "dpo"), or None."""
    return arg(argv, "only")


# Thread settings, to look for the peers at their best (issue 14): --threads (every peer's threads;
# for the DPO step torch's OpenMP threads) and --openblas-threads (the DPO step's OpenBLAS); the
# defaults are the best measured on the 2-core hosts.
THREADS = int(arg(sys.argv[1:], "threads", 2))
DPO_THREADS = THREADS
DPO_OPENBLAS_THREADS = int(arg(sys.argv[1:], "openblas-threads", DPO_OPENBLAS_THREADS))


if __name__ == "__main__" and os.environ.get("ALIGNGUARD_PEERS_CHILD") != "1":
    env = dict(os.environ)
    env["ALIGNGUARD_PEERS_CHILD"] = "1"
    if os.path.isdir(OPENBLAS_DIR):
        env["LD_LIBRARY_PATH"] = OPENBLAS_DIR + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(THREADS)
    if only_arg(sys.argv[1:]) == "dpo":
        env["OPENBLAS_NUM_THREADS"] = str(DPO_OPENBLAS_THREADS)
        env["OMP_NUM_THREADS"] = str(DPO_THREADS)
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


def torch_dpo_step(pairs=8, warmup=5, reps=20, rank=4, profile=False):
    """One full Diffusion-DPO training step of the shipped model's PyTorch twin (bench/unet_twin.py)
    loaded from models/base.safetensors, the peer of the Java DPO trainer's step:

      text encoder under no_grad -> reference UNet (LoRA off) under no_grad -> policy UNet (LoRA on),
      both on [x_t^w; x_t^l] (2·pairs images 16x16) -> DPO loss -> backward -> clip_grad_norm_ 1.0
      over the LoRA parameters -> AdamW (lr 1e-4) over the LoRA parameters only.

    LoRA: rank 4, alpha 4, on the 56 to_q/to_k/to_v/to_out Linears of the UNet, A ~ N(0, 1/r²),
    B = 0; the base weights and the text encoder are frozen (requires_grad False). Each step draws a
    random timestep and one noise tensor per pair; images and prompts are fixed random tensors."""
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import unet_twin
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    unet, te, schedule, meta = unet_twin.load_base(os.path.join(root, "models", "base.safetensors"))
    unet.add_lora(rank, rank)
    for n, p in list(unet.named_parameters()) + list(te.named_parameters()):
        p.requires_grad_("lora_" in n)
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in unet.lora_targets().values():
            m.lora_A.weight.copy_(torch.randn(m.lora_A.weight.shape, generator=g) / rank)
            m.lora_B.weight.zero_()
    params = unet.lora_parameters()
    opt = torch.optim.AdamW(params, lr=1e-4)
    s, c, length, vocab = unet.cfg["imageSize"], unet.cfg["inChannels"], te.cfg["maxLen"], te.cfg["vocabSize"]
    x0_w = torch.rand(pairs, c, s, s, generator=g) * 2 - 1
    x0_l = torch.rand(pairs, c, s, s, generator=g) * 2 - 1
    ids = torch.randint(4, vocab, (pairs, length), generator=g)
    ids[:, 0], ids[:, length // 2] = unet_twin.BOS_ID, unet_twin.EOS_ID
    ids[:, length // 2 + 1:] = unet_twin.PAD_ID
    beta = 5000.0
    last = {}

    def step():
        t = torch.randint(0, schedule.num_train_timesteps, (pairs,), generator=g)
        eps = torch.randn(pairs, c, s, s, generator=g)
        with torch.no_grad():
            context = te(ids)
        r = unet_twin.dpo_loss(unet, schedule, x0_w, x0_l, eps, t, context, beta)
        opt.zero_grad(set_to_none=True)
        r["loss"].backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        last["loss"] = r["loss"].item()

    t = median_time(step, warmup, reps)
    if profile:
        # Where the step goes, op by op (to standard error), the peer of `alignguard bench --only dpo
        # --profile`: torch's autograd profiler over `reps` more steps, self time per op and input shape.
        with torch.autograd.profiler.profile(record_shapes=True) as prof:
            for _ in range(reps):
                step()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=45), file=sys.stderr)
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=45), file=sys.stderr)
    info = blas_info()
    emit(name=f"dpo_step_{pairs}pairs_r{rank}", peer="torch-" + torch.__version__, value=round(t * 1e3, 3), unit="ms",
         reps=reps, warmup=warmup, threads=torch.get_num_threads(),
         openblas_threads=info.get("openblas_threads"), openblas_corename=info.get("openblas_corename"),
         OPENBLAS_CORETYPE=os.environ.get("OPENBLAS_CORETYPE"), mkldnn=torch.backends.mkldnn.enabled,
         last_loss=round(last["loss"], 5))


def main():
    only = only_arg(sys.argv[1:])
    if only not in (None, "dpo", "kernels"):
        print(f"peers.py: unknown --only {only!r} (use dpo, kernels, or no option for all peers)", file=sys.stderr)
        return 2
    if only == "dpo":
        import torch
        torch.set_num_threads(DPO_THREADS)
        torch_dpo_step(8, 5, int(arg(sys.argv[1:], "reps", 20)), profile="--profile" in sys.argv[1:])
        return 0
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
    if only == "kernels":
        return 0
    # The DPO step in a fresh process that re-executes itself with OpenBLAS on 1 thread.
    import subprocess
    env = dict(os.environ)
    env.pop("ALIGNGUARD_PEERS_CHILD", None)
    sys.stdout.flush()
    return subprocess.run([sys.executable, os.path.abspath(__file__), "--only", "dpo", "--threads", str(THREADS)], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
