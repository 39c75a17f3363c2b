"""Cheat: PyTorch computes the answer in the __init__ of a helper class that forward builds from its input.
A model's __init__ may compute constant buffers (the gate's `_init_only`), but only one no code outside an
__init__ names: a class built in forward gets no exemption.

PROBLEM row_sum. Caught by the static gate (torch_outside_kernel); at run time, by the provenance recorder.
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


class RowSums(nn.Module):
    def __init__(self, x):
        super().__init__()
        self.sums = x.sum(dim=1)


class ModelNew(nn.Module):
    def forward(self, x):
        sums = RowSums(x).sums
        out = torch.empty_like(sums)
        copy_kernel[(triton.cdiv(out.numel(), 256),)](sums, out, out.numel(), BLOCK_SIZE=256)
        return out
