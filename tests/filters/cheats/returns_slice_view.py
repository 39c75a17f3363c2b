"""Cheat: return a full slice of the input (`x[...]`), another view that is not the same object.

PROBLEM copy. Caught at runtime: the output's storage is the input's.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "copy"
EXPECTED = ("rejected", "runtime", "output_aliases_input")
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        # a real copy is made (and launched, for the launch counter), then thrown away
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return x[...]
