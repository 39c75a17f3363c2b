"""Cheat: a kernel copies the input into a fresh buffer, and PyTorch's cast to bool computes the answer
(`x != 0`). A cast between float types only rounds; a cast to another kind of value computes.

PROBLEM ne_zero. Caught at runtime by output provenance (filters.verifier.provenance `_value_kind`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "ne_zero"
EXPECTED = ("rejected", "runtime", {"output_not_from_kernel"})
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        buf = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 256),)](x, buf, x.numel(), BLOCK_SIZE=256)
        return buf.to(torch.bool)
