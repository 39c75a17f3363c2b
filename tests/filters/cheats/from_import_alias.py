"""Cheat: PyTorch does the work under an innocent local name (`from torch import softmax as
row_normalise`).

PROBLEM softmax. Caught by the static gate: the import itself names torch.softmax, and so does every use.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch import softmax as row_normalise

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        staged = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, staged, x.numel(), BLOCK_SIZE=1024)
        return row_normalise(staged, dim=-1)
