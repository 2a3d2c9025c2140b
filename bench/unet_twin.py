#!/usr/bin/python3
"""An independent PyTorch twin of the project's text-to-image model (text encoder + UNet), its
noise schedule, the project's LoRA convention and the Diffusion-DPO loss.

The Java sources are the specification (diffusion/.../model/*.java, autograd/.../nn/*.java,
diffusion/.../schedule/*.java); this file is written from them, not from diffusers, so that a
golden fixture made here checks the Java code against a second, separate reading. Parameter names
equal the checkpoint's, so

    unet, text_encoder, schedule, meta = load_base("models/base.safetensors")

loads models/base.safetensors with load_state_dict(strict=True) (the "unet." and
"text_encoder." prefixes are stripped). Run with Debian's python (torch 1.13): /usr/bin/python3.

LoRA (peft's LoraLayer semantics, the project's convention):
    y = W x + b + (alpha / r) · B (A x),   A [r, in], B [out, r]
on every to_q, to_k, to_v, to_out of the UNet's attention modules (14 modules, 56 Linears; never
the text encoder), stored as "unet.<path>.lora_A.weight" / "unet.<path>.lora_B.weight".

Diffusion-DPO (Wallace et al. 2023, Eq. 14) on the model's v target, see dpo_loss().
"""
import json
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tensor", "src", "test", "python"))
from safetensors_interop import read_file  # noqa: E402  (the project's independent reader)

LORA_TARGETS = ("to_q", "to_k", "to_v", "to_out")


# ----------------------------------------------------------------------------- building blocks

class LoraLinear(nn.Linear):
    """nn.Linear (weight [out, in], optional bias) that can carry a LoRA pair as submodules
    lora_A (Linear in->r, no bias) and lora_B (Linear r->out, no bias), so the state-dict names are
    "<path>.lora_A.weight" and "<path>.lora_B.weight". lora_enabled switches the update off (the
    reference model) without removing it."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias=bias)
        self.lora_A = None
        self.lora_B = None
        self.lora_scale = 1.0
        self.lora_enabled = True

    def add_lora(self, r, alpha):
        p = self.weight
        self.lora_A = nn.Linear(self.in_features, r, bias=False).to(dtype=p.dtype, device=p.device)
        self.lora_B = nn.Linear(r, self.out_features, bias=False).to(dtype=p.dtype, device=p.device)
        self.lora_scale = alpha / r

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.lora_A is not None and self.lora_enabled:
            d = self.lora_B(self.lora_A(x))
            y = y + (d if self.lora_scale == 1.0 else d * self.lora_scale)
        return y


class Attention(nn.Module):
    """Multi-head attention without masks: softmax(Q Kᵀ / sqrt(d_head)) V, to_q/k/v without bias."""

    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.heads, self.dim, self.head_dim = heads, dim, dim // heads
        self.to_q = LoraLinear(dim, dim, bias=False)
        self.to_k = LoraLinear(context_dim, dim, bias=False)
        self.to_v = LoraLinear(context_dim, dim, bias=False)
        self.to_out = LoraLinear(dim, dim, bias=True)

    def _split(self, t):  # [B, N, dim] -> [B, heads, N, head_dim]
        return t.reshape(t.shape[0], t.shape[1], self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, context=None):
        ctx = x if context is None else context
        q, k, v = self._split(self.to_q(x)), self._split(self.to_k(ctx)), self._split(self.to_v(ctx))
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.head_dim))
        out = torch.matmul(torch.softmax(scores, dim=-1), v)          # [B, heads, N, head_dim]
        b, n = x.shape[0], x.shape[1]
        return self.to_out(out.permute(0, 2, 1, 3).reshape(b, n, self.dim))


def gelu(x):
    return F.gelu(x)  # exact (erf) GELU, as UnaryOp.GELU


class TimestepEmbedding(nn.Module):
    """Sinusoidal features (cosines first), then Linear -> SiLU -> Linear."""

    def __init__(self, features, dim):
        super().__init__()
        self.features = features
        self.linear_1 = nn.Linear(features, dim)
        self.linear_2 = nn.Linear(dim, dim)

    @staticmethod
    def sinusoidal(t, features):
        # Computed in float64 and rounded once, as TimestepEmbedding.sinusoidal does.
        half = features // 2
        i = torch.arange(half, dtype=torch.float64)
        freq = torch.exp(-math.log(10000.0) * i / half)
        arg = t.to(torch.float64)[:, None] * freq[None, :]
        return torch.cat([torch.cos(arg), torch.sin(arg)], dim=1)

    def forward(self, t):
        f = self.sinusoidal(t, self.features).to(self.linear_1.weight.dtype)
        return self.linear_2(F.silu(self.linear_1(f)))


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, temb, groups):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.shortcut = None if cin == cout else nn.Conv2d(cin, cout, 1, 1, 0)

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))  # dropout is 0 in the shipped config (and off in eval)
        return (x if self.shortcut is None else self.shortcut(x)) + h


class TransformerBlock(nn.Module):
    def __init__(self, dim, context_dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn1 = Attention(dim, dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.attn2 = Attention(dim, context_dim, heads)
        self.norm3 = nn.LayerNorm(dim, eps=1e-5)
        self.ff_in = nn.Linear(dim, 4 * dim)
        self.ff_out = nn.Linear(4 * dim, dim)

    def forward(self, h, context):
        h = h + self.attn1(self.norm1(h))
        h = h + self.attn2(self.norm2(h), context)
        return h + self.ff_out(gelu(self.ff_in(self.norm3(h))))


def sincos_2d(h, w, c):
    """PositionalEmbedding2d.sinCos: [H·W, C]; quarters sin(y ω), cos(y ω), sin(x ω), cos(x ω)."""
    q = c // 4
    omega = torch.pow(torch.tensor(10000.0, dtype=torch.float64), -torch.arange(q, dtype=torch.float64) / q)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    ys, xs = ys.reshape(-1, 1) * omega, xs.reshape(-1, 1) * omega
    return torch.cat([torch.sin(ys), torch.cos(ys), torch.sin(xs), torch.cos(xs)], dim=1).float()


class SpatialTransformer(nn.Module):
    def __init__(self, channels, context_dim, heads, groups, size):
        super().__init__()
        self.norm = nn.GroupNorm(groups, channels, eps=1e-6)  # 1e-6 here, 1e-5 in the ResNet blocks
        self.proj_in = nn.Linear(channels, channels)
        self.block = TransformerBlock(channels, context_dim, heads)
        self.proj_out = nn.Linear(channels, channels)
        self.register_buffer("pos", sincos_2d(size, size, channels) if size > 0 else None, persistent=False)

    def forward(self, x, context):
        b, c, h, w = x.shape
        tokens = self.norm(x).reshape(b, c, h * w).permute(0, 2, 1)
        h0 = self.proj_in(tokens)
        if self.pos is not None:
            h0 = h0 + self.pos.to(h0.dtype)
        t = self.proj_out(self.block(h0, context))
        return x + t.permute(0, 2, 1).reshape(b, c, h, w)


class Level(nn.Module):
    def __init__(self):
        super().__init__()
        self.res = nn.ModuleList()
        self.attn = nn.ModuleList()
        self.downsample = None
        self.upsample = None

    def block(self, j, h, temb, context):
        h = self.res[j](h, temb)
        return self.attn[j](h, context) if len(self.attn) > 0 else h


class Resample(nn.Module):
    """Downsample (3x3 conv, stride 2) or Upsample (nearest 2x, then 3x3 conv); both name it conv."""

    def __init__(self, ch, down):
        super().__init__()
        self.down = down
        self.conv = nn.Conv2d(ch, ch, 3, 2 if down else 1, 1)

    def forward(self, x):
        return self.conv(x if self.down else F.interpolate(x, scale_factor=2, mode="nearest"))


class UNet(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        base, mult, g = cfg["baseChannels"], cfg["channelMult"], cfg["groups"]
        levels, temb, heads, cdim = len(mult), base * 4, cfg["heads"], cfg["contextDim"]
        chan = lambda i: base * mult[i]  # noqa: E731
        latent = cfg["inChannels"] * cfg["patchSize"] ** 2
        size = lambda i: (cfg["imageSize"] // cfg["patchSize"]) >> i if cfg.get("posEmbed") else 0  # noqa: E731
        self.time_embed = TimestepEmbedding(base, temb)
        self.text_embed = nn.Linear(cdim, temb) if cfg["pooledText"] else None
        self.conv_in = nn.Conv2d(latent + (2 if cfg["coordChannels"] else 0), chan(0), 3, 1, 1)
        skips, ch = [chan(0)], chan(0)
        self.down = nn.ModuleList()
        for i in range(levels):
            lv = Level()
            for _ in range(cfg["layersPerBlock"]):
                lv.res.append(ResnetBlock(ch, chan(i), temb, g))
                if cfg["attentionLevels"][i]:
                    lv.attn.append(SpatialTransformer(chan(i), cdim, heads, g, size(i)))
                ch = chan(i)
                skips.append(ch)
            if i < levels - 1:
                lv.downsample = Resample(ch, True)
                skips.append(ch)
            self.down.append(lv)
        self.mid = Level()
        self.mid.res.append(ResnetBlock(ch, ch, temb, g))
        self.mid.attn.append(SpatialTransformer(ch, cdim, heads, g, size(levels - 1)))
        self.mid.res.append(ResnetBlock(ch, ch, temb, g))
        self.up = nn.ModuleList()
        for i in reversed(range(levels)):
            lv = Level()
            for _ in range(cfg["layersPerBlock"] + 1):
                lv.res.append(ResnetBlock(ch + skips.pop(), chan(i), temb, g))
                if cfg["attentionLevels"][i]:
                    lv.attn.append(SpatialTransformer(chan(i), cdim, heads, g, size(i)))
                ch = chan(i)
            if i > 0:
                lv.upsample = Resample(ch, False)
            self.up.append(lv)
        self.norm_out = nn.GroupNorm(g, ch, eps=1e-5)
        self.conv_out = nn.Conv2d(ch, latent, 3, 1, 1)

    @staticmethod
    def coordinates(batch, s, dtype):
        """[B, 2, S, S]: channel 0 the column x, channel 1 the row y, both 2·i/(S-1) - 1 in float32."""
        i = torch.arange(s, dtype=torch.float32)
        r = torch.zeros(s) if s == 1 else (2 * i) / (s - 1) - 1
        xs = r[None, :].expand(s, s)
        ys = r[:, None].expand(s, s)
        return torch.stack([xs, ys])[None].expand(batch, 2, s, s).to(dtype)

    def forward(self, x, t, context):
        temb = self.time_embed(t)
        if self.text_embed is not None:
            temb = temb + self.text_embed(context.mean(dim=1))
        p = self.cfg["patchSize"]
        b, c, s, _ = x.shape
        h = x if p == 1 else x.reshape(b, c, s // p, p, s // p, p).permute(0, 1, 3, 5, 2, 4).reshape(b, c * p * p, s // p, s // p)
        if self.cfg["coordChannels"]:
            h = torch.cat([h, self.coordinates(b, s // p, x.dtype)], dim=1)
        h = self.conv_in(h)
        skips = [h]
        for lv in self.down:
            for j in range(len(lv.res)):
                h = lv.block(j, h, temb, context)
                skips.append(h)
            if lv.downsample is not None:
                h = lv.downsample(h)
                skips.append(h)
        h = self.mid.res[0](h, temb)
        h = self.mid.attn[0](h, context)
        h = self.mid.res[1](h, temb)
        for lv in self.up:
            for j in range(len(lv.res)):
                h = torch.cat([h, skips.pop()], dim=1)
                h = lv.block(j, h, temb, context)
            if lv.upsample is not None:
                h = lv.upsample(h)
        out = self.conv_out(F.silu(self.norm_out(h)))
        if p == 1:
            return out
        b, cp, hh, ww = out.shape
        return out.reshape(b, cp // (p * p), p, p, hh, ww).permute(0, 1, 4, 2, 5, 3).reshape(b, cp // (p * p), hh * p, ww * p)

    # -- LoRA ---------------------------------------------------------------------------------
    def lora_targets(self):
        """{module path: LoraLinear} for every to_q/to_k/to_v/to_out of every UNet attention."""
        return {name: m for name, m in self.named_modules()
                if isinstance(m, LoraLinear) and name.rsplit(".", 1)[-1] in LORA_TARGETS}

    def add_lora(self, r=4, alpha=None):
        alpha = r if alpha is None else alpha
        for m in self.lora_targets().values():
            m.add_lora(r, alpha)

    def set_lora_enabled(self, on):
        for m in self.lora_targets().values():
            m.lora_enabled = on

    def lora_state_dict(self, prefix="unet."):
        out = {}
        for name, m in self.lora_targets().items():
            if m.lora_A is not None:
                out[f"{prefix}{name}.lora_A.weight"] = m.lora_A.weight
                out[f"{prefix}{name}.lora_B.weight"] = m.lora_B.weight
        return out

    def lora_parameters(self):
        return list(self.lora_state_dict().values())


class EncoderLayer(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-5)
        self.self_attn = Attention(dim, dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-5)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, h):
        h = h + self.self_attn(self.norm1(h))
        return h + self.fc2(gelu(self.fc1(self.norm2(h))))


class TextEncoder(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.token_embedding = nn.Embedding(cfg["vocabSize"], cfg["dim"])
        self.position_embedding = nn.Embedding(cfg["maxLen"], cfg["dim"])
        self.layers = nn.ModuleList([EncoderLayer(cfg["dim"], cfg["heads"]) for _ in range(cfg["layers"])])
        self.final_norm = nn.LayerNorm(cfg["dim"], eps=1e-5)

    def forward(self, ids):  # ids [B, maxLen] (long)
        pos = torch.arange(ids.shape[1])[None].expand_as(ids)
        h = self.token_embedding(ids) + self.position_embedding(pos)
        for layer in self.layers:
            h = layer(h)
        return self.final_norm(h)


# ----------------------------------------------------------------------------- tokenizer

PAD_ID, BOS_ID, EOS_ID, UNK_ID = 0, 1, 2, 3


def words(text):
    """Words.split: lower case; every non-letter/digit character separates words."""
    out, w = [], []
    for ch in text.lower():
        if ch.isalnum():
            w.append(ch)
        elif w:
            out.append("".join(w))
            w = []
    if w:
        out.append("".join(w))
    return out


def encode(vocab, text, max_len):
    """Tokenizer.encode: <bos> words <eos> padded with <pad>; unknown words are <unk>."""
    index = {tok: i for i, tok in enumerate(vocab)}
    ids = [index.get(w, UNK_ID) for w in words(text)][:max_len - 2]
    return [BOS_ID] + ids + [EOS_ID] + [PAD_ID] * (max_len - 2 - len(ids))


# ----------------------------------------------------------------------------- schedule

class Schedule:
    """NoiseSchedule (COSINE / LINEAR / SCALED_LINEAR, optional SNR shift), alphas_cumprod in float64."""

    def __init__(self, spec):  # e.g. "COSINE:1000:0.5"
        parts = spec.split(":")
        kind, n = parts[0], int(parts[1])
        s = float(parts[2]) if len(parts) > 2 else 1.0
        self.kind, self.num_train_timesteps, self.snr_shift = kind, n, s
        betas = []
        for i in range(n):
            f = 0.0 if n == 1 else i / (n - 1)
            if kind == "LINEAR":
                betas.append(1e-4 + f * (0.02 - 1e-4))
            elif kind == "SCALED_LINEAR":
                r = math.sqrt(0.00085) + f * (math.sqrt(0.012) - math.sqrt(0.00085))
                betas.append(r * r)
            elif kind == "COSINE":
                ab = lambda u: math.cos((u + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
                betas.append(min(1 - ab((i + 1.0) / n) / ab(i / n), 0.999))
            else:
                raise ValueError(f"unknown schedule kind {kind}")
        acp, prod = [], 1.0
        for b in betas:
            prod *= 1 - b
            if s == 1.0:
                acp.append(prod)
            else:  # SNR multiplied by s² (Hoogeboom et al. 2023, Eq. 4)
                a = s * s * prod
                acp.append(a / (a + 1 - prod))
        self.alphas_cumprod = torch.tensor(acp, dtype=torch.float64)

    def coefficients(self, t, dtype=torch.float32):
        """(sqrt(abar_t), sqrt(1 - abar_t)) per sample, [B,1,1,1], computed in float64 then rounded."""
        ab = self.alphas_cumprod[t.long()]
        return torch.sqrt(ab).to(dtype)[:, None, None, None], torch.sqrt(1 - ab).to(dtype)[:, None, None, None]

    def add_noise(self, x0, eps, t):
        sa, sb = self.coefficients(t, x0.dtype)
        return x0 * sa + eps * sb

    def velocity(self, x0, eps, t):
        sa, sb = self.coefficients(t, x0.dtype)
        return eps * sa + x0 * (-sb)


# ----------------------------------------------------------------------------- loading

def load_base(path=os.path.join(REPO, "models", "base.safetensors")):
    """(unet, text_encoder, schedule, metadata) from a checkpoint; both modules in eval mode, float32."""
    tensors, meta = read_file(path)
    unet = UNet(json.loads(meta["unet_config"]))
    te = TextEncoder(json.loads(meta["text_encoder_config"]))
    sd_u = {k[len("unet."):]: t for k, (_, t) in tensors.items() if k.startswith("unet.")}
    sd_t = {k[len("text_encoder."):]: t for k, (_, t) in tensors.items() if k.startswith("text_encoder.")}
    other = [k for k in tensors if not k.startswith(("unet.", "text_encoder."))]
    if other:
        raise ValueError(f"{path}: unexpected tensors {other[:5]}")
    unet.load_state_dict(sd_u, strict=True)
    te.load_state_dict(sd_t, strict=True)
    unet.eval()
    te.eval()
    if meta.get("prediction", "epsilon") != "v":
        raise ValueError(f"{path}: prediction {meta.get('prediction')}, this twin's DPO uses v")
    return unet, te, Schedule(meta["schedule"]), meta


def vocabulary(meta):
    v = meta["vocabulary"].split("\n")
    while v and v[-1] == "":
        v.pop()
    return v


# ----------------------------------------------------------------------------- Diffusion-DPO

def dpo_loss(unet, schedule, x0_w, x0_l, eps, t, context, beta):
    """Diffusion-DPO (Wallace et al. 2023, Eq. 14) on the v target, for B pairs.

    Winner and loser of a pair share the prompt, t and ε. One UNet call on [x_t^w; x_t^l] with LoRA
    on (policy θ) and one under no_grad with LoRA off (reference):
        mse = mean over C·H·W of (v_target - v_pred)²              (per sample)
        inside = -β/2 · ((mse_θ_w - mse_θ_l) - (mse_ref_w - mse_ref_l))
        loss = mean over pairs of -log σ(inside)
    Returns a dict with loss, inside, mse_theta [2B], mse_ref [2B], v_policy, v_ref, accuracy, margin.
    """
    b = x0_w.shape[0]
    x0 = torch.cat([x0_w, x0_l])
    e2, t2, c2 = torch.cat([eps, eps]), torch.cat([t, t]), torch.cat([context, context])
    x_t = schedule.add_noise(x0, e2, t2)
    target = schedule.velocity(x0, e2, t2)
    with torch.no_grad():
        unet.set_lora_enabled(False)
        try:
            v_ref = unet(x_t, t2, c2)
        finally:
            unet.set_lora_enabled(True)
    v_pol = unet(x_t, t2, c2)
    mse_theta = ((target - v_pol) ** 2).mean(dim=(1, 2, 3))
    mse_ref = ((target - v_ref) ** 2).mean(dim=(1, 2, 3))
    model_diff = mse_theta[:b] - mse_theta[b:]
    ref_diff = mse_ref[:b] - mse_ref[b:]
    inside = -0.5 * beta * (model_diff - ref_diff)
    loss = -F.logsigmoid(inside).mean()
    return {"loss": loss, "inside": inside, "mse_theta": mse_theta, "mse_ref": mse_ref,
            "v_policy": v_pol, "v_ref": v_ref,
            "accuracy": (inside > 0).float().mean(), "margin": inside.mean()}


if __name__ == "__main__":
    u, te, sch, m = load_base()
    u.add_lora(4)
    print("unet params", sum(p.numel() for n, p in u.named_parameters() if "lora_" not in n),
          "text encoder params", sum(p.numel() for p in te.parameters()),
          "lora targets", len(u.lora_targets()), "lora params", sum(p.numel() for p in u.lora_parameters()))
    print("alphas_cumprod[0, 500, 999] =", sch.alphas_cumprod[[0, 500, 999]].tolist())
