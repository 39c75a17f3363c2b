"""Cheat: a method that computes with PyTorch is named only in __init__, where it is stored on the model;
forward then calls it through that attribute. A method only __init__ names runs while the model is built
(`_init_methods`), but a callable the model holds is refused when forward calls it.

PROBLEM row_sum. Caught by the static gate (torch_outside_kernel).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "static", {"torch_outside_kernel"})
DEVICE = "any"


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.row_sums = self._row_sums

    def _row_sums(self, t):
        return t.sum(dim=1)

    def forward(self, x):
        sums = self.row_sums(x)
        out = torch.empty_like(sums)
        copy_kernel[(triton.cdiv(out.numel(), 256),)](sums, out, out.numel(), BLOCK_SIZE=256)
        return out
