"""Cheat: special-case the test shape. For the benchmark's shape (16, 4096) the row means of randn inputs
are all within a few hundredths of 0, so a hard-coded branch writes zeros there; any other shape gets the
real kernel, so the code "works" in general.

PROBLEM row_mean_wide. Caught at runtime: 0 is off by ~1/64 on plain inputs (beyond fp32's tolerance),
and by 8 on inputs shifted by -8.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_mean_wide"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def row_mean_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        acc += tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    tl.store(out_ptr + row, tl.sum(acc, axis=0) / n_cols)


@triton.jit
def fill_zero_kernel(out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offs = tl.arange(0, BLOCK_SIZE)
    tl.store(out_ptr + offs, tl.zeros([BLOCK_SIZE], dtype=tl.float32), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        if tuple(x.shape) == (16, 4096):
            fill_zero_kernel[(1,)](out, x.shape[0], BLOCK_SIZE=16)
        else:
            row_mean_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=1024)
        return out
