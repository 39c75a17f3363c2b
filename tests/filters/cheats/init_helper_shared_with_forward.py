"""Cheat: a helper that computes with PyTorch is called from __init__ (to build a table, which may) and from
forward (to compute the answer, which may not). A helper is exempt only when nothing outside an __init__
calls it.

PROBLEM row_sum. Caught by the static gate (torch_outside_kernel).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "static", {"torch_outside_kernel"})
DEVICE = "any"


def _row_sums(t):
    return t.sum(dim=1)


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("table", _row_sums(torch.ones(4, 4)), persistent=False)

    def forward(self, x):
        sums = _row_sums(x)
        out = torch.empty_like(sums)
        copy_kernel[(triton.cdiv(out.numel(), 256),)](sums, out, out.numel(), BLOCK_SIZE=256)
        return out
