"""Honest: SwiGLU gating in vLLM's `silu_and_mul` idiom (own code): the output allocated with `x.new_empty`
on a shape built from `x.shape[:-1]`, the two halves addressed by column offsets of one row pointer, a
module-level `tl.constexpr(...)` global for the tile, `tl.static_assert` on it.

PROBLEM rt_swiglu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_swiglu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

TILE = tl.constexpr(128)


@triton.jit
def _silu_and_mul_kernel(o_ptr, a_ptr, b_ptr, d, stride_a, stride_b, stride_o):
    tl.static_assert(TILE % 32 == 0)
    row = tl.program_id(axis=0)
    start = tl.program_id(axis=1) * TILE
    cols = start + tl.arange(0, TILE)
    mask = cols < d
    a = tl.load(a_ptr + row * stride_a + cols, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + row * stride_b + cols, mask=mask, other=0.0)
    y = a * tl.sigmoid(a) * b
    tl.store(o_ptr + row * stride_o + cols, y.to(o_ptr.dtype.element_ty), mask=mask)


def silu_and_mul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    d = a.shape[-1]
    out = a.new_empty(a.shape[:-1] + (d,))
    a2, b2, o2 = a.view(-1, d), b.view(-1, d), out.view(-1, d)
    grid = (a2.shape[0], triton.cdiv(d, 128))
    _silu_and_mul_kernel[grid](o2, a2, b2, d, a2.stride(0), b2.stride(0), o2.stride(0))
    return out


class ModelNew(nn.Module):
    def forward(self, a, b):
        return silu_and_mul(a, b)
