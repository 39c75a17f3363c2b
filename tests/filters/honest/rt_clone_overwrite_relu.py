"""Honest: `out = x.clone()` then an in-place kernel that rewrites every element of `out` (a common idiom
for in-place ops made out-of-place: unsloth, vLLM's activation ops). The clone's values are all
overwritten, so the output is the kernel's.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def relu_inplace_kernel(x_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(x_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = x.clone()
        relu_inplace_kernel[(triton.cdiv(out.numel(), 1024),)](out, out.numel(), BLOCK_SIZE=1024)
        return out
