"""Honest: LayerNorm as NVIDIA Apex's openfold_triton LayerNorm is structured (own code): a blocked two-pass
kernel over the columns that also stores each row's mean and inverse std, wrapped in a
`torch.autograd.Function` whose forward saves them with `ctx.save_for_backward`, marks them
`ctx.mark_non_differentiable(mean, invstd)` and returns all three; the module returns the normalised output.
`from __future__ import annotations` with `Tuple`/`Optional` hints.

PROBLEM layernorm (eps 1e-5, weight and bias are inputs); EXPECTED accepted everywhere.
"""

from __future__ import annotations

from typing import Optional, Tuple

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _layer_norm_forward_kernel(x_ptr, w_ptr, b_ptr, y_ptr, mean_ptr, invstd_ptr, stride_row, N, eps,
                               BLOCK_N: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_row = x_ptr + row * stride_row
    y_row = y_ptr + row * stride_row
    acc = tl.zeros([BLOCK_N], dtype=tl.float32)
    for off in range(0, N, BLOCK_N):
        cols = off + tl.arange(0, BLOCK_N)
        acc += tl.load(x_row + cols, mask=cols < N, other=0.0).to(tl.float32)
    mean = tl.sum(acc, axis=0) / N
    acc = tl.zeros([BLOCK_N], dtype=tl.float32)
    for off in range(0, N, BLOCK_N):
        cols = off + tl.arange(0, BLOCK_N)
        x = tl.load(x_row + cols, mask=cols < N, other=0.0).to(tl.float32)
        d = tl.where(cols < N, x - mean, 0.0)
        acc += d * d
    invstd = 1.0 / tl.sqrt(tl.sum(acc, axis=0) / N + eps)
    tl.store(mean_ptr + row, mean)
    tl.store(invstd_ptr + row, invstd)
    for off in range(0, N, BLOCK_N):
        cols = off + tl.arange(0, BLOCK_N)
        mask = cols < N
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        b = tl.load(b_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        tl.store(y_row + cols, ((x - mean) * invstd * w + b).to(y_ptr.dtype.element_ty), mask=mask)


class LayerNormSmallShapeOptImpl(torch.autograd.Function):
    @staticmethod
    def forward(ctx, inputs: torch.Tensor, normalized_shape: Tuple[int, ...], weight: torch.Tensor,
                bias: Optional[torch.Tensor], eps: float = 1e-5) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        assert bias is not None, "this kernel is affine with a bias"
        n = normalized_shape[-1]
        x = inputs.contiguous().view(-1, n)
        rows = x.shape[0]
        y = torch.empty_like(x)
        mean = torch.empty((rows,), dtype=torch.float32, device=x.device)
        invstd = torch.empty((rows,), dtype=torch.float32, device=x.device)
        _layer_norm_forward_kernel[(rows,)](x, weight, bias, y, mean, invstd, x.stride(0), n, eps, BLOCK_N=128,
                                            num_warps=4)
        ctx.save_for_backward(x, weight, mean, invstd)
        ctx.mark_non_differentiable(mean, invstd)
        return y.view(inputs.shape), mean, invstd

    @staticmethod
    def backward(ctx, grad_y, grad_mean, grad_invstd):
        raise NotImplementedError("forward-only port")


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, weight, bias):
        y, _mean, _invstd = LayerNormSmallShapeOptImpl.apply(x, (x.shape[-1],), weight, bias, 1e-5)
        return y
