"""Honest: ReLU wrapped in a `torch.autograd.Function` whose forward saves the output for backward and
records the launch config on `ctx` (SGLang's and Liger's wrappers do both), with a module-level grid helper
taking `meta` and a kernel using `tl.maximum(x, 0.0)`.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _relu_fwd(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


@triton.jit
def _relu_bwd(dy_ptr, y_ptr, dx_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    dy = tl.load(dy_ptr + offs, mask=mask)
    y = tl.load(y_ptr + offs, mask=mask)
    tl.store(dx_ptr + offs, tl.where(y > 0, dy, 0.0), mask=mask)


def _grid(n):
    return lambda meta: (triton.cdiv(n, meta["BLOCK"]),)


class _ReLU(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _relu_fwd[_grid(n)](x, y, n, BLOCK=1024)
        ctx.save_for_backward(y)
        ctx.block = 1024
        return y

    @staticmethod
    def backward(ctx, dy):
        (y,) = ctx.saved_tensors
        dx = torch.empty_like(y)
        n = y.numel()
        _relu_bwd[_grid(n)](dy.contiguous(), y, dx, n, BLOCK=ctx.block)
        return dx


class ModelNew(nn.Module):
    def forward(self, x):
        return _ReLU.apply(x)
