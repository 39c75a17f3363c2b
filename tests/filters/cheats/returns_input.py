"""Cheat: return the input itself. For a problem whose answer equals its input (a copy), the values
are right and no work is done; the launch counter is fed with a copy that is thrown away.

PROBLEM copy. The static gate leaves this to runtime: the aliasing check (the output shares the input's
storage).
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
        return x
