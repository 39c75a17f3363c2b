"""Honest: LayerNorm for narrow rows in the Triton tutorials' anatomy, several rows per program (own code): a
2-D [ROWS, BLOCK_N] tile with row and column masks, mean and variance per row in fp32 with `axis=1`
reductions, `triton.autotune` over rows per program and warps keyed on the shape, a grid lambda reading
the chosen ROWS.

PROBLEM layernorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.autotune(
    configs=[
        triton.Config({"ROWS": 1}, num_warps=2),
        triton.Config({"ROWS": 4}, num_warps=4),
        triton.Config({"ROWS": 8}, num_warps=8),
    ],
    key=["n_rows", "n_cols"],
)
@triton.jit
def _layer_norm_rows_kernel(
    x_ptr, w_ptr, b_ptr, y_ptr,
    stride_x_row, stride_y_row,
    n_rows, n_cols, eps,
    BLOCK_N: tl.constexpr, ROWS: tl.constexpr,
):
    row_start = tl.program_id(0) * ROWS
    rows = row_start + tl.arange(0, ROWS)
    cols = tl.arange(0, BLOCK_N)
    row_mask = rows < n_rows
    col_mask = cols < n_cols
    mask = row_mask[:, None] & col_mask[None, :]
    x = tl.load(x_ptr + rows[:, None].to(tl.int64) * stride_x_row + cols[None, :], mask=mask, other=0.0)
    x = x.to(tl.float32)
    mean = tl.sum(x, axis=1) / n_cols
    xc = tl.where(mask, x - mean[:, None], 0.0)
    var = tl.sum(xc * xc, axis=1) / n_cols
    rstd = 1.0 / tl.sqrt(var + eps)
    w = tl.load(w_ptr + cols, mask=col_mask, other=1.0).to(tl.float32)
    b = tl.load(b_ptr + cols, mask=col_mask, other=0.0).to(tl.float32)
    y = xc * rstd[:, None] * w[None, :] + b[None, :]
    tl.store(y_ptr + rows[:, None].to(tl.int64) * stride_y_row + cols[None, :],
             y.to(y_ptr.dtype.element_ty), mask=mask)


def layer_norm(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    n_cols = x.shape[-1]
    x2d = x.reshape(-1, n_cols)
    if not x2d.is_contiguous():
        x2d = x2d.contiguous()
    y = torch.empty_like(x2d)
    n_rows = x2d.shape[0]
    BLOCK_N = triton.next_power_of_2(n_cols)
    if BLOCK_N > 16384:
        raise RuntimeError("this LayerNorm supports rows of up to 16384 features")
    grid = lambda meta: (triton.cdiv(n_rows, meta["ROWS"]),)  # noqa: E731
    _layer_norm_rows_kernel[grid](x2d, weight, bias, y, x2d.stride(0), y.stride(0), n_rows, n_cols, eps,
                                  BLOCK_N=BLOCK_N)
    return y.view(x.shape)


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return layer_norm(x, weight, bias)
