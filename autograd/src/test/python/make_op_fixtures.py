#!/usr/bin/python3
"""Makes the PyTorch reference fixtures that OpsTorchTest compares the Java ops against.

Run with Debian's python (PyTorch 1.13 is installed only there), from the repository root:

    /usr/bin/python3 autograd/src/test/python/make_op_fixtures.py

It writes one float32 safetensors file per case to autograd/src/test/resources/fixtures/ops/.
CI never runs this script: the files are committed and the Java test only reads them.

Layout of each file (all float32):
    x0, x1, ...     the differentiable inputs (Java makes them Variable.param)
    c0, c1, ...     non-differentiable inputs: indices and labels, stored as whole-number floats
    out0, out1, ... the forward outputs
    R0, R1, ...     fixed random projections, one per output
    g0, g1, ...     d loss / d x_i for loss = sum_k sum(out_k * R_k)
    metadata "op"   the PyTorch expression, for the reader

The Java test knows what each case computes (by its file name); keep the two in step.
"""

import os
import sys

import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "tensor", "src", "test", "python"))
from safetensors_interop import write_file as write_file_f32  # noqa: E402
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures", "ops")


def write_safetensors(path, tensors, metadata=None):
    """Writes float32 fixtures with the independent struct+json writer of safetensors_interop.py."""
    write_file_f32(path, {k: v.detach().to(torch.float32).contiguous() for k, v in tensors.items()},
                   {k: str(v) for k, v in (metadata or {}).items()})


def randn(*shape):
    return torch.randn(*shape, dtype=torch.float32)


def positive(*shape):
    """Values in [0.5, 2.5): safe for log, sqrt, division and fractional powers."""
    return torch.rand(*shape, dtype=torch.float32) * 2 + 0.5


def away_from_zero(*shape):
    """Normal values pushed at least 0.1 away from 0, so relu has no kink inside the data."""
    x = randn(*shape)
    return torch.sign(x) * (x.abs() + 0.1)


CASES = []


def case(name, expr, inputs, fn, consts=()):
    CASES.append((name, expr, inputs, fn, list(consts)))


def build():
    # ---- element-wise binary ops with broadcasting
    case("add_bcast_31", "x0 + x1", [randn(2, 3, 4), randn(3, 1)], lambda a, b: a + b)
    case("add_bcast_4", "x0 + x1", [randn(2, 3, 4), randn(4)], lambda a, b: a + b)
    case("add_bcast_both", "x0 + x1", [randn(2, 1, 4), randn(3, 1)], lambda a, b: a + b)
    case("sub_bcast_31", "x0 - x1", [randn(2, 3, 4), randn(3, 1)], lambda a, b: a - b)
    case("sub_bcast_rev", "x0 - x1", [randn(4), randn(2, 3, 4)], lambda a, b: a - b)
    case("mul_bcast_4", "x0 * x1", [randn(2, 3, 4), randn(4)], lambda a, b: a * b)
    case("mul_bcast_both", "x0 * x1", [randn(2, 1, 4), randn(3, 1)], lambda a, b: a * b)
    case("mul_self", "x0 * x0", [randn(3, 4)], lambda a: a * a)
    case("div_bcast_31", "x0 / x1", [randn(2, 3, 4), positive(3, 1)], lambda a, b: a / b)
    case("div_bcast_rev", "x0 / x1", [positive(4), positive(2, 3, 4)], lambda a, b: a / b)
    case("scalar_ops", "x0 * 2.5 + 1.0", [randn(3, 4)], lambda a: a * 2.5 + 1.0)
    # ---- powers and unary ops
    case("pow_2_5", "x0 ** 2.5", [positive(3, 4)], lambda a: a ** 2.5)
    case("pow_3", "x0 ** 3", [randn(3, 4)], lambda a: a ** 3.0)
    case("pow_neg_half", "x0 ** -0.5", [positive(3, 4)], lambda a: a ** -0.5)
    case("exp", "exp(x0)", [randn(3, 5)], torch.exp)
    case("log", "log(x0)", [positive(3, 5)], torch.log)
    case("sqrt", "sqrt(x0)", [positive(3, 5)], torch.sqrt)
    case("tanh", "tanh(x0)", [randn(3, 5) * 2], torch.tanh)
    case("sigmoid", "sigmoid(x0)", [randn(3, 5) * 3], torch.sigmoid)
    case("silu", "silu(x0)", [randn(3, 5) * 2], F.silu)
    case("gelu", "gelu(x0) (exact erf form)", [randn(3, 5) * 2], lambda a: F.gelu(a))
    case("relu", "relu(x0)", [away_from_zero(3, 5)], F.relu)
    # ---- reductions
    x = lambda: randn(2, 3, 4)
    case("sum_all", "x0.sum()", [x()], lambda a: a.sum())
    case("sum_ax1", "x0.sum(1)", [x()], lambda a: a.sum(1))
    case("sum_ax0", "x0.sum(0)", [x()], lambda a: a.sum(0))
    case("sum_ax02_keep", "x0.sum((0,2), keepdim=True)", [x()], lambda a: a.sum((0, 2), keepdim=True))
    case("sum_axm1_keep", "x0.sum(-1, keepdim=True)", [x()], lambda a: a.sum(-1, keepdim=True))
    case("mean_all", "x0.mean()", [x()], lambda a: a.mean())
    case("mean_ax1", "x0.mean(1)", [x()], lambda a: a.mean(1))
    case("mean_ax02_keep", "x0.mean((0,2), keepdim=True)", [x()], lambda a: a.mean((0, 2), keepdim=True))
    case("mean_ax12", "x0.mean((1,2))", [x()], lambda a: a.mean((1, 2)))
    case("max_all", "x0.amax()", [x()], lambda a: a.amax())
    case("max_ax1", "x0.amax(1)", [x()], lambda a: a.amax(1))
    case("max_ax02_keep", "x0.amax((0,2), keepdim=True)", [x()], lambda a: a.amax((0, 2), keepdim=True))
    case("max_axm1_keep", "x0.amax(-1, keepdim=True)", [x()], lambda a: a.amax(-1, keepdim=True))
    # ---- matmul
    case("matmul_2d", "x0 @ x1", [randn(3, 5), randn(5, 4)], torch.matmul)
    case("matmul_batched", "x0 @ x1", [randn(2, 3, 5), randn(2, 5, 4)], torch.matmul)
    case("matmul_bcast_b", "x0 @ x1", [randn(2, 3, 5), randn(5, 4)], torch.matmul)
    case("matmul_bcast_batch", "x0 @ x1", [randn(2, 1, 3, 5), randn(3, 5, 4)], torch.matmul)
    case("matmul_at", "x0.T @ x1", [randn(5, 3), randn(5, 4)], lambda a, b: a.t() @ b)
    case("matmul_bt", "x0 @ x1.T", [randn(3, 5), randn(4, 5)], lambda a, b: a @ b.t())
    case("matmul_atbt", "x0.T @ x1.T", [randn(5, 3), randn(4, 5)], lambda a, b: a.t() @ b.t())
    case("matmul_batched_bt", "x0 @ x1.transpose(-1,-2)", [randn(2, 3, 5), randn(2, 4, 5)],
         lambda a, b: a @ b.transpose(-1, -2))
    case("matmul_big", "x0 @ x1", [randn(17, 33), randn(33, 19)], torch.matmul)
    # ---- conv2d and upsample
    case("conv_s1_p1_bias", "conv2d(x0, x1, x2, stride=1, padding=1)",
         [randn(2, 3, 5, 5), randn(4, 3, 3, 3), randn(4)], lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1))
    case("conv_s2_p0", "conv2d(x0, x1, stride=2, padding=0)",
         [randn(2, 3, 7, 7), randn(5, 3, 3, 3)], lambda x, w: F.conv2d(x, w, None, stride=2, padding=0))
    case("conv_s2_p1_bias", "conv2d(x0, x1, x2, stride=2, padding=1)",
         [randn(1, 2, 6, 5), randn(3, 2, 3, 3), randn(3)], lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1))
    case("conv_k31_p1", "conv2d(x0, x1, x2, stride=1, padding=1) with a 3x1 kernel",
         [randn(2, 2, 4, 6), randn(3, 2, 3, 1), randn(3)], lambda x, w, b: F.conv2d(x, w, b, stride=1, padding=1))
    case("conv_k1_s1_p0", "conv2d(x0, x1, stride=1, padding=0) with a 1x1 kernel",
         [randn(2, 4, 3, 3), randn(6, 4, 1, 1)], lambda x, w: F.conv2d(x, w, None, stride=1, padding=0))
    case("upsample2x", "interpolate(x0, scale_factor=2, mode='nearest')",
         [randn(2, 3, 3, 4)], lambda a: F.interpolate(a, scale_factor=2, mode="nearest"))
    # ---- softmax
    case("softmax_axm1", "softmax(x0, -1)", [randn(2, 3, 5) * 2], lambda a: F.softmax(a, -1))
    case("softmax_ax1", "softmax(x0, 1)", [randn(2, 3, 5) * 2], lambda a: F.softmax(a, 1))
    case("softmax_ax0", "softmax(x0, 0)", [randn(2, 3, 5) * 2], lambda a: F.softmax(a, 0))
    case("log_softmax_axm1", "log_softmax(x0, -1)", [randn(2, 3, 5) * 2], lambda a: F.log_softmax(a, -1))
    case("log_softmax_ax1", "log_softmax(x0, 1)", [randn(2, 3, 5) * 2], lambda a: F.log_softmax(a, 1))
    # ---- joins and gathers
    case("concat_ax1", "cat([x0, x1], 1)", [randn(2, 3), randn(2, 5)], lambda a, b: torch.cat([a, b], 1))
    case("concat_ax0_3", "cat([x0, x1, x2], 0)", [randn(2, 3, 4), randn(1, 3, 4), randn(3, 3, 4)],
         lambda a, b, c: torch.cat([a, b, c], 0))
    case("split_ax1", "split(x0, [2, 4, 1], 1)", [randn(2, 7, 3)], lambda a: torch.split(a, [2, 4, 1], 1))
    case("split_axm1", "split(x0, [3, 3], -1)", [randn(4, 6)], lambda a: torch.split(a, [3, 3], -1))
    idx = torch.tensor([[1, 4, 1], [0, 5, 4]])
    case("embedding_2d_idx", "embedding(c0, x0), repeated indices", [randn(6, 4)],
         lambda t, i: F.embedding(i.long(), t), consts=[idx])
    idx1 = torch.tensor([3, 3, 0, 2, 3])
    case("index_select", "index_select(x0, 0, c0)", [randn(5, 3)],
         lambda t, i: torch.index_select(t, 0, i.long()), consts=[idx1])
    # ---- norms (eps 1e-5)
    case("group_norm_affine_g3", "group_norm(x0, 3, x1, x2)", [randn(2, 6, 3, 3) * 2 + 1, randn(6), randn(6)],
         lambda x, g, b: F.group_norm(x, 3, g, b, eps=1e-5))
    case("group_norm_affine_g2_3d", "group_norm(x0, 2, x1, x2) of [N, C, L]", [randn(2, 4, 5), randn(4), randn(4)],
         lambda x, g, b: F.group_norm(x, 2, g, b, eps=1e-5))
    case("group_norm_g2", "group_norm(x0, 2)", [randn(2, 4, 3, 2)], lambda x: F.group_norm(x, 2, eps=1e-5))
    case("group_norm_affine_g1", "group_norm(x0, 1, x1, x2)", [randn(1, 3, 2, 2), randn(3), randn(3)],
         lambda x, g, b: F.group_norm(x, 1, g, b, eps=1e-5))
    case("layer_norm_affine", "layer_norm(x0, [8], x1, x2)", [randn(2, 3, 8) * 3 - 1, randn(8), randn(8)],
         lambda x, g, b: F.layer_norm(x, (8,), g, b, eps=1e-5))
    case("layer_norm", "layer_norm(x0, [6])", [randn(4, 6)], lambda x: F.layer_norm(x, (6,), eps=1e-5))
    # ---- losses
    case("mse", "mse_loss(x0, x1)", [randn(3, 4), randn(3, 4)], F.mse_loss)
    labels = torch.tensor([2, 0, 4, 4])
    case("cross_entropy", "cross_entropy(x0, c0)", [randn(4, 5) * 2],
         lambda x, y: F.cross_entropy(x, y.long()), consts=[labels])
    # ---- views
    case("reshape", "x0.reshape(6, 4)", [randn(2, 3, 4)], lambda a: a.reshape(6, 4))
    case("reshape_infer", "x0.reshape(-1, 2, 3)", [randn(2, 3, 4)], lambda a: a.reshape(-1, 2, 3))
    case("permute_reshape", "x0.permute(2, 0, 1).reshape(4, 6)", [randn(2, 3, 4)],
         lambda a: a.permute(2, 0, 1).reshape(4, 6))
    case("permute", "x0.permute(2, 0, 1)", [randn(2, 3, 4)], lambda a: a.permute(2, 0, 1))
    case("transpose", "x0.transpose(0, 2)", [randn(2, 3, 4)], lambda a: a.transpose(0, 2))
    case("slice_ax1", "x0[:, 1:4]", [randn(4, 5)], lambda a: a[:, 1:4])
    case("slice_ax0", "x0[0:2]", [randn(4, 5)], lambda a: a[0:2])
    case("expand", "x0.expand(2, 3, 4)", [randn(3, 1)], lambda a: a.expand(2, 3, 4))
    case("unsqueeze", "x0.unsqueeze(1)", [randn(3, 4)], lambda a: a.unsqueeze(1))
    # ---- a small composite: the gradient flows through several ops and a reused input
    case("composite", "tanh(x0 @ x1 + x2) * sigmoid(x0 @ x1)", [randn(3, 4), randn(4, 5), randn(5)],
         lambda a, b, c: torch.tanh(a @ b + c) * torch.sigmoid(a @ b))


def main():
    torch.manual_seed(1234)
    build()
    os.makedirs(OUT_DIR, exist_ok=True)
    for old in os.listdir(OUT_DIR):
        if old.endswith(".safetensors"):
            os.remove(os.path.join(OUT_DIR, old))
    total = 0
    for name, expr, inputs, fn, consts in CASES:
        xs = [t.clone().requires_grad_(True) for t in inputs]
        out = fn(*xs, *consts)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        rs = [torch.randn(o.shape, dtype=torch.float32) for o in outs]
        loss = sum((o * r).sum() for o, r in zip(outs, rs))
        loss.backward()
        tensors = {}
        for i, x in enumerate(xs):
            tensors["x%d" % i] = x.detach()
            tensors["g%d" % i] = x.grad
        for i, c in enumerate(consts):
            tensors["c%d" % i] = c.to(torch.float32)
        for i, (o, r) in enumerate(zip(outs, rs)):
            tensors["out%d" % i] = o.detach()
            tensors["R%d" % i] = r
        path = os.path.join(OUT_DIR, name + ".safetensors")
        write_safetensors(path, tensors, {"op": expr, "torch": torch.__version__})
        total += os.path.getsize(path)
    print("wrote %d fixtures, %d bytes, to %s" % (len(CASES), total, os.path.normpath(OUT_DIR)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
