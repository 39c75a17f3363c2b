"""Honest: LayerNorm whose affine step is one fused multiply-add (`tl.fma`) and whose inverse standard
deviation is `tl.math.rsqrt`, as FlagGems and Apex's Triton ports write it (own code).

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
def _layernorm_fma(X, W, B, Y, n_cols, stride, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(X + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / n_cols
    xc = tl.where(mask, x - mean, 0.0)
    rstd = tl.math.rsqrt(tl.sum(xc * xc, axis=0) / n_cols + eps)
    w = tl.load(W + cols, mask=mask, other=0.0)
    b = tl.load(B + cols, mask=mask, other=0.0)
    tl.store(Y + row * stride + cols, tl.fma(xc * rstd, w, b), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_rows, n_cols = x.shape
        _layernorm_fma[(n_rows,)](x, weight, bias, y, n_cols, x.stride(0), 1e-5,
                                  BLOCK=triton.next_power_of_2(n_cols))
        return y
