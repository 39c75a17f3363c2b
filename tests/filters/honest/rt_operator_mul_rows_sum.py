"""Honest: a row sum whose launcher counts rows with `functools.reduce(operator.mul, x.shape[:-1], 1)`, as
older launchers (apex, DeepSpeed's inference kernels) do before `math.prod`; one program per block of rows,
fp32 accumulation over column tiles in a `tl.range` loop.

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import functools
import operator

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _row_sum_kernel(x_ptr, out_ptr, n_rows, n_cols, stride_row,
                    ROWS: tl.constexpr, BLOCK_N: tl.constexpr):
    rows = tl.program_id(0) * ROWS + tl.arange(0, ROWS)
    row_mask = rows < n_rows
    acc = tl.zeros((ROWS,), dtype=tl.float32)
    for start in tl.range(0, n_cols, BLOCK_N):
        cols = start + tl.arange(0, BLOCK_N)
        mask = row_mask[:, None] & (cols[None, :] < n_cols)
        x = tl.load(x_ptr + rows[:, None] * stride_row + cols[None, :], mask=mask, other=0.0)
        acc += tl.sum(x.to(tl.float32), axis=1)
    tl.store(out_ptr + rows, acc.to(out_ptr.dtype.element_ty), mask=row_mask)


def row_sum(x: torch.Tensor) -> torch.Tensor:
    n_cols = x.shape[-1]
    n_rows = functools.reduce(operator.mul, x.shape[:-1], 1)
    x2 = x.reshape(n_rows, n_cols)
    out = torch.empty(n_rows, device=x.device, dtype=x.dtype)
    ROWS = 4
    _row_sum_kernel[(triton.cdiv(n_rows, ROWS),)](x2, out, n_rows, n_cols, x2.stride(0), ROWS=ROWS, BLOCK_N=128)
    return out.reshape(x.shape[:-1])


class ModelNew(nn.Module):
    def forward(self, x):
        return row_sum(x)
