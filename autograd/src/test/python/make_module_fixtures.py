#!/usr/bin/python3
"""PyTorch reference fixtures for the nn modules and the optimizers (ModulesTorchTest, OptimizersTest).

PyTorch 1.13 is installed only for Debian's python, so run it as /usr/bin/python3, from autograd/:
    /usr/bin/python3 src/test/python/make_module_fixtures.py src/test/resources/fixtures/modules
CI never runs this script: the files it writes are committed, and the Java tests read them.

Every file is float32 safetensors, written by the small struct+json writer below (no `safetensors`
package). Module fixtures hold, for loss = sum(out * r):
    <param name>          the module's parameters under our dotted names (to_q.weight, ...)
    x, context, ids       the inputs (ids as float32 integers)
    r                     the loss weights, same shape as out
    out                   the forward output
    grad.<input>          d loss / d input
    grad.<param name>     d loss / d parameter
The reference math runs in float64 on float32-representable inputs, then is rounded to float32, so
the fixtures are the exact answers to float32 precision; the Java side computes in float32.
The optimizer fixtures run torch.optim itself in float32 (the Java optimizers work in float32 too).
"""

import math
import os
import sys

import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tensor", "src", "test", "python"))
from safetensors_interop import write_file as write_file_f32  # noqa: E402
import torch.nn.functional as F

assert sys.byteorder == "little"


def write_file(path, tensors, metadata=None):
    """Writes float32 fixtures with the independent struct+json writer of safetensors_interop.py."""
    write_file_f32(path, {k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()},
                   {k: str(v) for k, v in (metadata or {}).items()})


def f32(*shape, scale=1.0, shift=0.0):
    """N(shift, scale^2) rounded to float32, returned as a float64 leaf that requires grad."""
    return (torch.randn(*shape) * scale + shift).to(torch.float32).to(torch.float64).requires_grad_(True)


def finish(path, params, inputs, out, metadata):
    """Backward of sum(out * r); writes params, inputs, r, out and all gradients."""
    r = torch.randn(*out.shape).to(torch.float32).to(torch.float64)
    (out * r).sum().backward()
    t = {"r": r, "out": out}
    for n, p in params.items():
        t[n] = p
        t["grad." + n] = p.grad
    for n, x in inputs.items():
        t[n] = x
        if x.grad is not None:
            t["grad." + n] = x.grad
    write_file(path, t, metadata)


def linear(path):
    p = {"weight": f32(5, 4, scale=0.5), "bias": f32(5, scale=0.5)}
    x = f32(2, 3, 4)
    finish(path, p, {"x": x}, F.linear(x, p["weight"], p["bias"]), {"in": 4, "out": 5})


def conv2d(path, cin, cout, k, stride, padding, hw):
    p = {"weight": f32(cout, cin, k, k, scale=0.3), "bias": f32(cout, scale=0.3)}
    x = f32(2, cin, hw, hw)
    out = F.conv2d(x, p["weight"], p["bias"], stride=stride, padding=padding)
    finish(path, p, {"x": x}, out, {"in": cin, "out": cout, "kernel": k, "stride": stride, "padding": padding})


def group_norm(path):
    groups, c, eps = 3, 6, 1e-5
    p = {"weight": f32(c, scale=0.3, shift=1.0), "bias": f32(c, scale=0.3)}
    x = f32(2, c, 4, 4, scale=2.0, shift=0.5)
    out = F.group_norm(x, groups, p["weight"], p["bias"], eps)
    finish(path, p, {"x": x}, out, {"groups": groups, "channels": c, "eps": eps})


def layer_norm(path):
    d, eps = 8, 1e-5
    p = {"weight": f32(d, scale=0.3, shift=1.0), "bias": f32(d, scale=0.3)}
    x = f32(2, 3, d, scale=1.5, shift=-0.3)
    out = F.layer_norm(x, (d,), p["weight"], p["bias"], eps)
    finish(path, p, {"x": x}, out, {"dim": d, "eps": eps})


def embedding(path):
    count, d = 10, 6
    p = {"weight": f32(count, d)}
    ids = torch.tensor([[1, 7, 3], [7, 0, 7]])  # repeats: the backward must add them up
    out = F.embedding(ids, p["weight"])
    finish(path, p, {"ids": ids.to(torch.float64)}, out, {"count": count, "dim": d})


def attention(path, dim, ctx_dim, heads, n, m, cross):
    """Same math as Attention.java: split heads, softmax(Q K^T / sqrt(d)) V, merge heads, to_out."""
    p = {"to_q.weight": f32(dim, dim, scale=0.4), "to_k.weight": f32(dim, ctx_dim, scale=0.4),
         "to_v.weight": f32(dim, ctx_dim, scale=0.4), "to_out.weight": f32(dim, dim, scale=0.4),
         "to_out.bias": f32(dim, scale=0.2)}
    b, d = 2, dim // heads
    x = f32(b, n, dim)
    inputs = {"x": x}
    ctx = x
    if cross:
        ctx = f32(b, m, ctx_dim)
        inputs["context"] = ctx

    def split(t):
        return t.reshape(t.shape[0], t.shape[1], heads, d).permute(0, 2, 1, 3)

    q = split(F.linear(x, p["to_q.weight"]))
    k = split(F.linear(ctx, p["to_k.weight"]))
    v = split(F.linear(ctx, p["to_v.weight"]))
    a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
    o = (a @ v).permute(0, 2, 1, 3).reshape(b, n, dim)
    out = F.linear(o, p["to_out.weight"], p["to_out.bias"])
    finish(path, p, inputs, out, {"dim": dim, "context_dim": ctx_dim, "heads": heads})


def optimizers(path):
    """AdamW and SGD steps on two parameters with fixed per-step gradients; clip_grad_norm_."""
    steps = 5
    t = {}
    a0, b0 = torch.randn(3, 4), torch.randn(5)
    grads = [(torch.randn(3, 4), torch.randn(5) * 0.1) for _ in range(steps)]
    for i, (ga, gb) in enumerate(grads):
        t["grad.%d.a" % (i + 1)] = ga
        t["grad.%d.b" % (i + 1)] = gb
    t["init.a"], t["init.b"] = a0, b0
    configs = {
        "adamw": lambda ps: torch.optim.AdamW(ps, lr=0.05, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1),
        "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.05),
    }
    for name, make in configs.items():
        a, b = a0.clone().requires_grad_(True), b0.clone().requires_grad_(True)
        opt = make([a, b])
        for i, (ga, gb) in enumerate(grads):
            a.grad, b.grad = ga.clone(), gb.clone()
            opt.step()
            t["%s.%d.a" % (name, i + 1)] = a.detach().clone()
            t["%s.%d.b" % (name, i + 1)] = b.detach().clone()
    ca, cb = (torch.randn(3, 4) * 2).requires_grad_(True), (torch.randn(5) * 2).requires_grad_(True)
    ca.grad, cb.grad = torch.randn(3, 4) * 2, torch.randn(5) * 2
    t["clip.grad.a"], t["clip.grad.b"] = ca.grad.clone(), cb.grad.clone()
    norm = torch.nn.utils.clip_grad_norm_([ca, cb], max_norm=1.5)
    t["clip.norm"] = norm.reshape(1)
    t["clip.clipped.a"], t["clip.clipped.b"] = ca.grad, cb.grad
    write_file(path, t, {"steps": steps,
                         "adamw": "lr=0.05 betas=(0.8,0.95) eps=1e-6 weight_decay=0.1",
                         "sgd": "lr=0.1 momentum=0.9 weight_decay=0.05", "clip": "max_norm=1.5"})


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "resources", "fixtures", "modules")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(20240611)
    j = lambda n: os.path.join(out, n)
    linear(j("linear.safetensors"))
    conv2d(j("conv2d.safetensors"), 3, 4, 3, 1, 1, 6)
    conv2d(j("conv2d_stride2.safetensors"), 2, 3, 3, 2, 1, 7)
    group_norm(j("groupnorm.safetensors"))
    layer_norm(j("layernorm.safetensors"))
    embedding(j("embedding.safetensors"))
    attention(j("attention_self.safetensors"), 8, 8, 2, 5, 5, False)
    attention(j("attention_cross.safetensors"), 8, 6, 2, 4, 3, True)
    optimizers(j("optimizers.safetensors"))
    total = sum(os.path.getsize(j(f)) for f in os.listdir(out))
    print("wrote %d files, %d bytes, to %s" % (len(os.listdir(out)), total, out))


if __name__ == "__main__":
    main()
