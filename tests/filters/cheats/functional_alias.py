"""Cheat: PyTorch does the work behind an alias. `F.gelu` reads like a local helper; F is
torch.nn.functional.

PROBLEM gelu. Caught by the static gate, which resolves F to torch.nn.functional.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def touch_kernel(x_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    tl.load(x_ptr + offsets, mask=offsets < n_elements)


class ModelNew(nn.Module):
    def forward(self, x):
        touch_kernel[(triton.cdiv(x.numel(), 1024),)](x, x.numel(), BLOCK_SIZE=1024)
        return F.gelu(x)
