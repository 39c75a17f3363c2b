"""Honest: FlashAttention's Triton launcher makes only the inputs whose last dimension is strided contiguous,
with a comprehension over the inputs written out as a list (`q, k, v = [t if t.stride(-1) == 1 else
t.contiguous() for t in [q, k, v]]`): iterating over a list of tensors, not over a tensor's values.

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
def _add_kernel(a_ptr, b_ptr, c_ptr, n_elements, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_elements
    tl.store(c_ptr + offs, tl.load(a_ptr + offs, mask=mask) + tl.load(b_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        assert x.shape == y.shape and x.dtype == y.dtype
        x, y = [t if t.stride(-1) == 1 else t.contiguous() for t in [x, y]]
        out = torch.empty_like(x)
        n_elements = out.numel()
        BLOCK = 1024
        _add_kernel[(triton.cdiv(n_elements, BLOCK),)](x, y, out, n_elements, BLOCK=BLOCK, num_warps=4)
        return out
