"""Honest: a launcher that warns, with an explicit category, when it falls back to a smaller block (xformers'
and bitsandbytes' warnings.warn(..., UserWarning), own code).

PROBLEM relu; EXPECTED accepted everywhere.
"""

import warnings

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

MAX_BLOCK = 1024


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        block = triton.next_power_of_2(x.numel())
        if block > MAX_BLOCK:
            warnings.warn("relu: input larger than one block; launching several programs", UserWarning, stacklevel=2)
            block = MAX_BLOCK
        relu_kernel[(triton.cdiv(x.numel(), block),)](x, out, x.numel(), BLOCK_SIZE=block)
        return out
