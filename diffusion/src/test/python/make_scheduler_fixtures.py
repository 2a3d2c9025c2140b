"""Golden values for the noise schedules, DDPM/DDIM steps and classifier-free guidance.

Run with Debian's python (PyTorch 1.13):  /usr/bin/python3 diffusion/src/test/python/make_scheduler_fixtures.py
Writes diffusion/src/test/resources/fixtures/schedulers/*.safetensors, read by SchedulerTorchTest.

The formulas are written out in torch (float64) from the papers and from diffusers' schedulers'
documented behaviour (epsilon prediction, "leading" timestep spacing, DDPM fixed_small variance
with clip_sample, DDIM with set_alpha_to_one), independently of the Java code.
"""
import math
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tensor", "src", "test", "python"))
from safetensors_interop import write_file  # noqa: E402

OUT = os.path.join(ROOT, "diffusion", "src", "test", "resources", "fixtures", "schedulers")


def betas_for(kind, T, start, end):
    if kind == "linear":
        return torch.linspace(start, end, T, dtype=torch.float64)
    if kind == "scaled_linear":
        return torch.linspace(start ** 0.5, end ** 0.5, T, dtype=torch.float64) ** 2
    if kind == "cosine":
        f = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
        return torch.tensor([min(1 - f((i + 1) / T) / f(i / T), 0.999) for i in range(T)], dtype=torch.float64)
    raise ValueError(kind)


def ddpm_step(ac, eps, t, prev, x, noise, clip=True):
    a_t = ac[t]
    a_prev = ac[prev] if prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    beta_prod_t, beta_prod_prev = 1 - a_t, 1 - a_prev
    cur_alpha = a_t / a_prev
    cur_beta = 1 - cur_alpha
    x0 = (x - beta_prod_t.sqrt() * eps) / a_t.sqrt()
    if clip:
        x0 = x0.clamp(-1, 1)
    mean = (a_prev.sqrt() * cur_beta / beta_prod_t) * x0 + (cur_alpha.sqrt() * beta_prod_prev / beta_prod_t) * x
    if t > 0:
        var = torch.clamp(beta_prod_prev / beta_prod_t * cur_beta, min=1e-20)
        mean = mean + var.sqrt() * noise
    return mean


def ddim_step(ac, eps, t, prev, x, noise, eta):
    a_t = ac[t]
    a_prev = ac[prev] if prev >= 0 else torch.tensor(1.0, dtype=torch.float64)
    x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
    var = (1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)
    std = eta * var.sqrt()
    out = a_prev.sqrt() * x0 + (1 - a_prev - std ** 2).sqrt() * eps
    if eta > 0:
        out = out + std * noise
    return out


def f32(t):
    return t.to(torch.float32).contiguous()


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    for kind, start, end in [("linear", 1e-4, 0.02), ("scaled_linear", 0.00085, 0.012), ("cosine", 0, 0)]:
        b = betas_for(kind, 1000, start, end)
        write_file(os.path.join(OUT, f"schedule_{kind}.safetensors"),
                   {"betas": f32(b), "alphas_cumprod": f32(torch.cumprod(1 - b, 0))},
                   {"kind": kind, "T": "1000", "beta_start": repr(start), "beta_end": repr(end)})

    # The cosine schedule with its SNR shifted by s² = 0.25 (simple diffusion, Eq. 4): written from
    # log-SNR, not from the Java formula.
    ac = torch.cumprod(1 - betas_for("cosine", 1000, 0, 0), 0)
    log_snr = torch.log(ac / (1 - ac)) + 2 * math.log(0.5)
    ac_s = torch.sigmoid(log_snr)
    betas_s = 1 - ac_s / torch.cat([torch.ones(1, dtype=torch.float64), ac_s[:-1]])
    write_file(os.path.join(OUT, "schedule_cosine_shift0.5.safetensors"),
               {"betas": f32(betas_s), "alphas_cumprod": f32(ac_s)}, {"kind": "cosine", "T": "1000", "snr_shift": "0.5"})

    # Steps on the SD schedule with a 50-step run: step ratio 20.
    ac = torch.cumprod(1 - betas_for("scaled_linear", 1000, 0.00085, 0.012), 0)
    x = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    eps = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    noise = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    x0 = torch.randn(2, 3, 4, 4, dtype=torch.float64).clamp(-1, 1)
    tensors = {"x": f32(x), "eps": f32(eps), "noise": f32(noise), "x0": f32(x0)}
    for t in (980, 500, 20, 0):
        prev = t - 20
        tensors[f"ddpm_t{t}"] = f32(ddpm_step(ac, eps, t, prev, x, noise))
        tensors[f"ddim_t{t}"] = f32(ddim_step(ac, eps, t, prev, x, noise, 0.0))
        tensors[f"ddim_eta1_t{t}"] = f32(ddim_step(ac, eps, t, prev, x, noise, 1.0))
    ts = torch.tensor([999, 0])
    a = ac[ts].view(2, 1, 1, 1)
    tensors["add_noise_t999_0"] = f32(a.sqrt() * x0 + (1 - a).sqrt() * noise)
    # v-prediction (Salimans and Ho 2022): the target, and ε recovered from v at x_t.
    tensors["velocity_t999_0"] = f32(a.sqrt() * noise - (1 - a).sqrt() * x0)
    a500 = ac[500]
    tensors["eps_from_v_t500"] = f32(a500.sqrt() * eps + (1 - a500).sqrt() * x)
    eps_u = torch.randn(2, 3, 4, 4, dtype=torch.float64)
    tensors["eps_uncond"] = f32(eps_u)
    tensors["cfg_w7_5"] = f32(eps_u + 7.5 * (eps - eps_u))
    write_file(os.path.join(OUT, "steps.safetensors"), tensors, {"schedule": "scaled_linear", "T": "1000", "steps": "50"})


if __name__ == "__main__":
    main()
