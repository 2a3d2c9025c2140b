#!/usr/bin/python3
"""Golden fixture for the Java Diffusion-DPO loss and its LoRA gradients, made by an independent
PyTorch twin of the shipped model (bench/unet_twin.py) loaded from models/base.safetensors.

Run from the repository root with Debian's python (torch 1.13):

    /usr/bin/python3 alignguard/src/test/python/make_dpo_fixture.py

It writes alignguard/src/test/resources/fixtures/dpo/twin_dpo.safetensors (all float32) with the
project's independent safetensors writer (tensor/src/test/python/safetensors_interop.py):

  inputs   x0_w, x0_l, noise [2,3,16,16] (winners / losers in [-1, 1], one ε per pair),
           t [2] (timesteps as floats), ids [2,24] (token ids of the two prompts, as floats),
           lora.unet.<module>.lora_A.weight [4,in], lora.unet.<module>.lora_B.weight [out,4]
           for the 56 to_q/to_k/to_v/to_out of the UNet (A ~ N(0, 1/r²), B ~ N(0, 0.02²))
  outputs  context [2,24,64] (text encoder), v_ref / v_policy [4,3,16,16] (UNet on
           [x_t^w; x_t^l], LoRA off / on), mse_theta / mse_ref [4] (per sample, winners first),
           inside [2], loss [1], grad.unet.<module>.lora_{A,B}.weight (dloss/dLoRA)
  metadata beta, rank, alpha, prompts, torch version, command, and the float64 check result

The values are computed in float32 as the Java code does; the same computation in float64 is
run as a check and the largest relative differences are recorded in the metadata.
"""
import os
import sys

import torch

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tensor", "src", "test", "python"))
import unet_twin  # noqa: E402
from safetensors_interop import read_file, write_file  # noqa: E402

OUT = os.path.join(REPO, "alignguard", "src", "test", "resources", "fixtures", "dpo", "twin_dpo.safetensors")
PROMPTS = ["A red circle on the top left, against a blue backdrop, featuring graffiti!",
           "an orange triangle at the bottom right corner marked with violence"]
TIMESTEPS = [150, 700]
RANK, ALPHA = 4, 4.0
BETA = 5000.0  # the paper's SD1.5 value; here it gives |inside| ≈ 0.5..1.2, far from saturation
SEED = 20240611


def run(unet, te, schedule, inputs, lora, dtype):
    """Loads the LoRA tensors, runs the text encoder and the DPO loss, backpropagates."""
    unet = unet.to(dtype)
    te = te.to(dtype)
    targets = unet.lora_targets()
    with torch.no_grad():
        for name, m in targets.items():
            m.lora_A.weight.copy_(lora[f"unet.{name}.lora_A.weight"])
            m.lora_B.weight.copy_(lora[f"unet.{name}.lora_B.weight"])
    for n, p in unet.named_parameters():
        p.requires_grad_("lora_" in n)
        p.grad = None
    for p in te.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        context = te(inputs["ids"].long())
    x0_w, x0_l, noise = (inputs[k].to(dtype) for k in ("x0_w", "x0_l", "noise"))
    r = unet_twin.dpo_loss(unet, schedule, x0_w, x0_l, noise, inputs["t"].long(), context, BETA)
    r["loss"].backward()
    grads = {}
    for name, m in targets.items():
        grads[f"grad.unet.{name}.lora_A.weight"] = m.lora_A.weight.grad.detach().clone()
        grads[f"grad.unet.{name}.lora_B.weight"] = m.lora_B.weight.grad.detach().clone()
    out = {"context": context, "v_ref": r["v_ref"], "v_policy": r["v_policy"], "mse_theta": r["mse_theta"],
           "mse_ref": r["mse_ref"], "inside": r["inside"], "loss": r["loss"].reshape(1)}
    out = {k: v.detach().clone() for k, v in out.items()}
    out.update(grads)
    return out


def rel_diff(a, b):
    """max |a - b| / max |b| (a scale-aware relative error of a whole tensor)."""
    a, b = a.double(), b.double()
    return ((a - b).abs().max() / b.abs().max().clamp_min(1e-300)).item()


def main():
    torch.set_num_threads(1)
    unet, te, schedule, meta = unet_twin.load_base(os.path.join(REPO, "models", "base.safetensors"))
    vocab = unet_twin.vocabulary(meta)
    max_len = te.cfg["maxLen"]
    unet.add_lora(RANK, ALPHA)

    g = torch.Generator().manual_seed(SEED)
    inputs = {
        "x0_w": torch.rand(2, 3, 16, 16, generator=g) * 2 - 1,
        "x0_l": torch.rand(2, 3, 16, 16, generator=g) * 2 - 1,
        "noise": torch.randn(2, 3, 16, 16, generator=g),
        "t": torch.tensor(TIMESTEPS, dtype=torch.float32),
        "ids": torch.tensor([unet_twin.encode(vocab, p, max_len) for p in PROMPTS], dtype=torch.float32),
    }
    lora = {}
    for name, m in sorted(unet.lora_targets().items()):
        lora[f"unet.{name}.lora_A.weight"] = torch.randn(RANK, m.in_features, generator=g) * (1.0 / RANK)
        lora[f"unet.{name}.lora_B.weight"] = torch.randn(m.out_features, RANK, generator=g) * 0.02

    f32 = run(unet, te, schedule, inputs, lora, torch.float32)
    f64 = run(unet, te, schedule, inputs, lora, torch.float64)
    worst = {k: rel_diff(f32[k], f64[k]) for k in f32}
    worst_out = max((v, k) for k, v in worst.items() if not k.startswith("grad."))
    worst_grad = max((v, k) for k, v in worst.items() if k.startswith("grad."))
    print(f"float32 vs float64: worst output {worst_out[1]} {worst_out[0]:.2e}, worst gradient {worst_grad[1]} {worst_grad[0]:.2e}")
    for k in ("loss", "inside", "mse_theta", "mse_ref"):
        print(f"  {k}: f32 {f32[k].tolist()}  rel {worst[k]:.2e}")

    tensors = {k: v.float().contiguous() for k, v in inputs.items()}
    tensors.update({"lora." + k: v.float().contiguous() for k, v in lora.items()})
    tensors.update({k: v.float().contiguous() for k, v in f32.items()})
    metadata = {
        "description": "Diffusion-DPO (v target) loss and LoRA gradients of models/base.safetensors, by the PyTorch twin bench/unet_twin.py",
        "beta": repr(BETA), "rank": str(RANK), "alpha": repr(ALPHA),
        "prompt.0": PROMPTS[0], "prompt.1": PROMPTS[1],
        "timesteps": ",".join(map(str, TIMESTEPS)), "seed": str(SEED),
        "lora_init": "A ~ N(0, (1/r)^2), B ~ N(0, 0.02^2)",
        "lora_targets": str(len(unet.lora_targets())),
        "base_checkpoint": "models/base.safetensors",
        "torch": torch.__version__,
        "command": "/usr/bin/python3 alignguard/src/test/python/make_dpo_fixture.py",
        "f64_check_worst_output_rel": f"{worst_out[0]:.3e} ({worst_out[1]})",
        "f64_check_worst_grad_rel": f"{worst_grad[0]:.3e} ({worst_grad[1]})",
        "implicit_acc": repr((f32["inside"] > 0).float().mean().item()),
        "reward_margin": repr(f32["inside"].mean().item()),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    write_file(OUT, tensors, metadata)
    back, back_meta = read_file(OUT)  # self-check against the independent reader
    assert back_meta == metadata and set(back) == set(tensors)
    assert all(torch.equal(back[k][1], tensors[k]) for k in tensors)
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(tensors)} tensors); ids {inputs['ids'].long().tolist()}")


if __name__ == "__main__":
    main()
