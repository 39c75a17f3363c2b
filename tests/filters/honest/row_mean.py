"""Honest: row means with a persistent grid (a few programs, each looping over rows), the whole row in
one block.

PROBLEM row_mean; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_mean"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_mean_kernel(x_ptr, out_ptr, x_row_stride, n_rows, n_cols, BLOCK_SIZE: tl.constexpr):
    row_start = tl.program_id(axis=0)
    row_step = tl.num_programs(axis=0)
    offs = tl.arange(0, BLOCK_SIZE)
    for row in range(row_start, n_rows, row_step):
        x = tl.load(x_ptr + row * x_row_stride + offs, mask=offs < n_cols, other=0.0).to(tl.float32)
        tl.store(out_ptr + row, (tl.sum(x, axis=0) / n_cols).to(out_ptr.dtype.element_ty))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        n_rows, n_cols = x.shape[0], x.shape[1]
        out = x.new_empty((n_rows,))
        BLOCK_SIZE = triton.next_power_of_2(n_cols)
        num_programs = max(1, min(n_rows, 4))
        row_mean_kernel[(num_programs,)](x, out, x.stride(0), n_rows, n_cols, BLOCK_SIZE=BLOCK_SIZE)
        return out
