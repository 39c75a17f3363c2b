"""Honest: a GELU as a `torch.autograd.Function` whose forward and backward carry `torch.amp.custom_fwd` /
`custom_bwd`, as mamba's and flash-linear-attention's autograd functions do so that autocast regions call
them with consistent dtypes.

PROBLEM gelu; EXPECTED accepted everywhere.
"""

import math

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _gelu_fwd(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    y = 0.5 * x * (1.0 + tl.erf(x * 0.7071067811865476))
    tl.store(y_ptr + offs, y.to(y_ptr.dtype.element_ty), mask=mask)


class GeluFn(torch.autograd.Function):
    @staticmethod
    @torch.amp.custom_fwd(device_type="cuda")
    def forward(ctx, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _gelu_fwd[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        ctx.save_for_backward(x)
        return y

    @staticmethod
    @torch.amp.custom_bwd(device_type="cuda")
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        cdf = 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
        pdf = torch.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        return dy * (cdf + x * pdf)


class ModelNew(nn.Module):
    def forward(self, x):
        return GeluFn.apply(x)
