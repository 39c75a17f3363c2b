"""Honest: a LayerNorm whose launcher gathers idioms common across kernel libraries (own code): Optional
annotations, `assert`s with f-string messages about shapes, `math.prod` of the leading dims, `x.new_empty`,
a `tl.constexpr` parameter with a default, `triton.jit(do_not_specialize=...)`, a `noinline` helper,
`tl.range` with `num_stages`, `tl.static_range`, `tl.multiple_of` hints, and the older
`torch.cuda.amp.custom_fwd` decorator on an autograd function's forward.

PROBLEM layernorm; EXPECTED accepted everywhere.
"""

import math
from typing import Optional, Tuple

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit(noinline=True)
def _mean_var(x, N: tl.constexpr):
    mean = tl.sum(x, axis=0) / N
    diff = x - mean
    return mean, diff


@triton.jit(do_not_specialize=["eps"])
def _layer_norm_fwd(X, Y, W, B, stride, N, eps, BLOCK_N: tl.constexpr, NUM_CHUNKS: tl.constexpr = 1):
    row = tl.program_id(0)
    stride = tl.multiple_of(stride, 1)
    X += row * stride
    Y += row * stride
    cols = tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(X + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / N
    diff = tl.where(mask, x - mean, 0.0)
    var = tl.sum(diff * diff, axis=0) / N
    rstd = 1.0 / tl.sqrt(var + eps)
    for chunk in tl.static_range(NUM_CHUNKS):
        for _ in tl.range(0, 1, num_stages=1):
            w = tl.load(W + cols, mask=mask, other=1.0).to(tl.float32)
            b = tl.load(B + cols, mask=mask, other=0.0).to(tl.float32)
            tl.store(Y + cols, (diff * rstd * w + b).to(Y.dtype.element_ty), mask=mask)


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,
               eps: float = 1e-5) -> torch.Tensor:
    assert x.shape[-1] == weight.shape[0], f"weight of {tuple(weight.shape)} does not fit {tuple(x.shape)}"
    assert bias is not None, "this kernel needs a bias"
    shape: Tuple[int, ...] = tuple(x.shape)
    rows = math.prod(shape[:-1])
    n = shape[-1]
    x2 = x.reshape(rows, n).contiguous()
    y = x2.new_empty((rows, n))
    _layer_norm_fwd[(rows,)](x2, y, weight, bias, x2.stride(0), n, eps, BLOCK_N=triton.next_power_of_2(n))
    return y.view(shape)


class _LayerNormFn(torch.autograd.Function):
    @staticmethod
    @torch.cuda.amp.custom_fwd
    def forward(ctx, x, weight, bias, eps):
        return layer_norm(x, weight, bias, eps)


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return _LayerNormFn.apply(x, weight, bias, 1e-5)
