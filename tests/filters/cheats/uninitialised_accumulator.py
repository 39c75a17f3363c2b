"""Cheat (or the bug a cheat relies on): accumulate into an output that was never initialised. It saves
a zeroing pass; when the allocator hands back memory that held zeros (often, in a fresh process), the
answer is right.

PROBLEM row_sum. Caught at runtime: fresh allocations are poisoned (NaN, random or stale values, varied per call), so the sums come out wrong.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "correctness", {"non_finite", "mismatch", "nondeterministic"})
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    total = tl.load(out_ptr + row)  # whatever the buffer held
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        total += tl.sum(tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0), axis=0)
    tl.store(out_ptr + row, total)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=128)
        return out
