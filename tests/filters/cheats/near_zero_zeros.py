"""Cheat: exploit the absolute tolerance on near-zero outputs. Every output of tanh(x) * 1e-6 is below
1e-6 in magnitude, far under fp32's atol of 1e-4, so a kernel that only writes zeros passes an
elementwise allclose.

PROBLEM tiny_tanh. Caught at runtime: the relative L2 error of all-zeros is 1, far above fp32's 1e-5.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "tiny_tanh"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def zeros_kernel(out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    tl.store(out_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32), mask=offsets < n_elements)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        zeros_kernel[(triton.cdiv(out.numel(), 1024),)](out, out.numel(), BLOCK_SIZE=1024)
        return out
