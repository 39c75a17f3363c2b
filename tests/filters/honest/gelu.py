"""Honest: exact GELU through erf, 2-D tiles, fp32.

PROBLEM gelu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def gelu_kernel(
    x_ptr,
    out_ptr,
    n_rows,
    n_cols,
    stride_x_row,  # elements between consecutive rows of x
    stride_out_row,  # elements between consecutive rows of out
    BLOCK_M: tl.constexpr,  # rows per tile
    BLOCK_N: tl.constexpr,  # columns per tile
):
    pid_m = tl.program_id(axis=0)
    pid_n = tl.program_id(axis=1)
    rows = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    cols = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = (rows[:, None] < n_rows) & (cols[None, :] < n_cols)
    x = tl.load(x_ptr + rows[:, None] * stride_x_row + cols[None, :], mask=mask, other=0.0)
    # GELU(x) = x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))
    y = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    tl.store(out_ptr + rows[:, None] * stride_out_row + cols[None, :], y, mask=mask)


def gelu(x: torch.Tensor) -> torch.Tensor:
    assert x.dim() == 2, f"expected a 2-D input, got shape {tuple(x.shape)}"
    if not x.is_contiguous():
        x = x.contiguous()
    n_rows, n_cols = x.shape
    out = torch.empty((n_rows, n_cols), device=x.device, dtype=x.dtype)
    BLOCK_M, BLOCK_N = 8, 64
    grid = (triton.cdiv(n_rows, BLOCK_M), triton.cdiv(n_cols, BLOCK_N))
    gelu_kernel[grid](x, out, n_rows, n_cols, x.stride(0), out.stride(0), BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N,
                      num_warps=4)
    return out


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return gelu(x)
