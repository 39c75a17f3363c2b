"""Honest: the layer-norm tutorial's shape (own code): the kernel is wrapped in a torch.autograd.Function and
the module calls it through a module-level alias of its `apply` (`layer_norm = LayerNorm.apply`), as the
Triton tutorials and Unsloth name theirs. Calling the alias runs the Function's forward, checked like any
code.

PROBLEM layernorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _layer_norm_fwd(X, Y, W, B, stride, N, eps, BLOCK_SIZE: tl.constexpr):
    # one row per program: mean and variance in fp32, then the affine transform
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < N
    x = tl.load(X + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / N
    diff = tl.where(mask, x - mean, 0.0)
    var = tl.sum(diff * diff, axis=0) / N
    rstd = 1 / tl.sqrt(var + eps)
    w = tl.load(W + cols, mask=mask)
    b = tl.load(B + cols, mask=mask)
    tl.store(Y + row * stride + cols, diff * rstd * w + b, mask=mask)


class LayerNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, normalized_shape, weight, bias, eps):
        x_arg = x.reshape(-1, x.shape[-1]).contiguous()
        M, N = x_arg.shape
        y = torch.empty_like(x_arg)
        BLOCK_SIZE = triton.next_power_of_2(N)
        if BLOCK_SIZE > 65536 // x.element_size():
            raise RuntimeError("This layer norm doesn't support feature dim >= 64KB.")
        num_warps = min(max(BLOCK_SIZE // 256, 1), 8)
        _layer_norm_fwd[(M,)](x_arg, y, weight, bias, x_arg.stride(0), N, eps, BLOCK_SIZE=BLOCK_SIZE,
                              num_warps=num_warps)
        ctx.save_for_backward(x, weight, bias)
        ctx.eps = eps
        return y.view(x.shape)

    @staticmethod
    def backward(ctx, dy):
        raise NotImplementedError("forward only")


layer_norm = LayerNorm.apply


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return layer_norm(x, (x.shape[-1],), weight, bias, 1e-5)
