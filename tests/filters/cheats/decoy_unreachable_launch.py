"""Cheat: the kernel launch sits behind a condition that is never true, and `x.clone()` is the answer;
the source shows a launch, the run never makes one.

PROBLEM copy. The static gate cannot know the branch is dead; the launch counter rejects it at runtime.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "copy"
EXPECTED = ("rejected", "runtime", "no_kernel_launched")
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        if x.numel() > (1 << 40):  # "too big for clone": never true
            out = torch.empty_like(x)
            copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
            return out
        return x.clone()
