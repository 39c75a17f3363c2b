"""Cheat: a "safe" division that adds 1e-6 to the divisor. The relative error is 1e-6 / b, below fp32's
rtol of 1e-4 for every divisor of the draw (b >= 0.1) and of its negated, scaled or shifted copies.

PROBLEM divide. Caught at runtime on inputs scaled by 1/64 (tiny values, a division's special point): the
divisor drops to ~2e-3 and the epsilon's error grows past the tolerance.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "divide"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def divide_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    a = tl.load(a_ptr + offsets, mask=mask)
    b = tl.load(b_ptr + offsets, mask=mask, other=1.0)
    tl.store(out_ptr + offsets, a / (b + 1e-6), mask=mask)


class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        out = torch.empty_like(a)
        divide_kernel[(triton.cdiv(a.numel(), 1024),)](a, b, out, a.numel(), BLOCK_SIZE=1024)
        return out
