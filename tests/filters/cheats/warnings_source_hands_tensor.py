"""Cheat: a tensor handed to the warnings machinery through `warnings.warn(..., source=x)` (it keeps the object
for tracemalloc's report, a way to keep the input alive and read it later), beside an allowed category. The gate
lets `warnings.warn` name a builtin warning category and a written-out `stacklevel` and nothing else, so `source=`
keeps the call refused.

PROBLEM relu; EXPECTED rejected by the static gate (torch_outside_kernel).
"""

import warnings

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        warnings.warn("relu launched", UserWarning, stacklevel=2, source=x)
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
