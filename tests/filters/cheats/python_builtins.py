"""Cheat: the host does the work through Python builtins: `sum(x.unbind(dim=1))` adds the columns with
tensor additions, no torch function in sight; a kernel is launched on the side.

PROBLEM row_sum. Caught by the static gate: sum() applied to tensors.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    tl.load(x_ptr + offsets, mask=offsets < n_elements)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(triton.cdiv(x.numel(), 1024),)](x, x.numel(), BLOCK_SIZE=1024)
        columns = x.unbind(dim=1)
        return sum(columns)
