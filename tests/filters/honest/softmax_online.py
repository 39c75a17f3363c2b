"""Honest: row softmax for rows wider than one tile: an online max and sum over column tiles, then a
second pass that normalises and stores, fp32.

PROBLEM softmax_wide; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax_wide"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def online_softmax_kernel(x_ptr, out_ptr, x_row_stride, out_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(axis=0)
    row_x_ptr = x_ptr + row * x_row_stride
    row_out_ptr = out_ptr + row * out_row_stride
    col_offsets = tl.arange(0, BLOCK_SIZE)
    # first pass: running maximum m and running sum s of exp(x - m), rescaled when m grows
    m = tl.full([BLOCK_SIZE], -float("inf"), tl.float32)
    s = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + col_offsets
        x = tl.load(row_x_ptr + cols, mask=cols < n_cols, other=-float("inf")).to(tl.float32)
        new_m = tl.maximum(m, x)
        # lanes that have seen only padding keep m = -inf; avoid exp(-inf - -inf) = nan there
        scale = tl.where(new_m == -float("inf"), 0.0, tl.exp(m - new_m))
        s = s * scale + tl.where(new_m == -float("inf"), 0.0, tl.exp(x - new_m))
        m = new_m
    row_max = tl.max(m, axis=0)
    row_sum = tl.sum(s * tl.exp(m - row_max), axis=0)
    # second pass: normalise and store
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + col_offsets
        mask = cols < n_cols
        x = tl.load(row_x_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        y = tl.exp(x - row_max) / row_sum
        tl.store(row_out_ptr + cols, y.to(out_ptr.dtype.element_ty), mask=mask)


def online_softmax(x: torch.Tensor, block_size: int = 128) -> torch.Tensor:
    assert x.dim() == 2, f"expected a 2-D input, got shape {tuple(x.shape)}"
    x = x.contiguous()
    n_rows, n_cols = x.shape
    out = torch.empty_like(x)
    online_softmax_kernel[(n_rows,)](x, out, x.stride(0), out.stride(0), n_cols, BLOCK_SIZE=block_size, num_warps=2)
    return out


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return online_softmax(x)
