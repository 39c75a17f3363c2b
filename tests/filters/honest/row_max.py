"""Honest: row maxima, padding with -inf (not 0, which would win on all-negative rows).

PROBLEM row_max; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_max"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_max_kernel(x_ptr, out_ptr, x_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    acc = tl.full([BLOCK_SIZE], float("-inf"), tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + col_offsets
        x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        acc = tl.maximum(acc, x)
    tl.store(out_ptr + row, tl.max(acc, axis=0).to(out_ptr.dtype.element_ty))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        n_rows, n_cols = x.shape
        out = torch.empty((n_rows,), dtype=x.dtype, device=x.device)
        row_max_kernel[(n_rows,)](x, out, x.stride(0), n_cols, BLOCK_SIZE=64, num_warps=1)
        return out
