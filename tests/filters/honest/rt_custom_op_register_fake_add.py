"""Honest: an add exposed as a `torch.library.custom_op` with a fake (meta) implementation, as kernel
libraries do so that torch.compile and export can see through them (vLLM and SGLang register many of their
kernels this way). The op's implementation launches a Triton kernel.

PROBLEM add; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _add_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask) + tl.load(y_ptr + offs, mask=mask), mask=mask)


@torch.library.custom_op("kdcase::add", mutates_args=())
def fused_add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    n = x.numel()
    _add_kernel[(triton.cdiv(n, 512),)](x, y, out, n, BLOCK=512)
    return out


@fused_add.register_fake
def _(x, y):
    return torch.empty_like(x)


class ModelNew(nn.Module):
    def forward(self, x, y):
        return fused_add(x.contiguous(), y.contiguous())
