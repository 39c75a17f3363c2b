"""Honest: row sums, one program per row walking the row in tiles, per-lane partial sums in fp32 and one
final reduction.

PROBLEM row_sum with a second workload (8 x 700, issue 16) its teacher never saw: the loop over the row and
the grid from the input's shape make it right on both; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
WORKLOADS = ("row_sum_8x700",)
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, x_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + col_offsets
        # padding lanes load 0, which adds nothing to the sum
        acc += tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tl.store(out_ptr + row, tl.sum(acc, axis=0).to(out_ptr.dtype.element_ty))


def row_sum(x: torch.Tensor) -> torch.Tensor:
    assert x.dim() == 2, f"expected a 2-D input, got shape {tuple(x.shape)}"
    x = x.contiguous()
    n_rows, n_cols = x.shape
    out = torch.empty(n_rows, dtype=x.dtype, device=x.device)
    row_sum_kernel[(n_rows,)](x, out, x.stride(0), n_cols, BLOCK_SIZE=128)
    return out


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return row_sum(x)
