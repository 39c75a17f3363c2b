import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def rms_norm_kernel(
    x_ptr,  # (n_rows, n_cols) input, rows contiguous
    w_ptr,  # (n_cols,) scale
    out_ptr,  # (n_rows, n_cols) output, contiguous
    n_cols,
    stride_x_row,
    eps,
    BLOCK_SIZE: tl.constexpr,  # a column tile: rows longer than it are walked in tiles
):
    # One program per row, two passes over it in column tiles: the sum of squares, then the scaled output.
    # Tiles keep the register footprint fixed however long the row is.
    row = tl.program_id(axis=0)
    x_row = x_ptr + row * stride_x_row
    sum_sq = tl.zeros((BLOCK_SIZE,), dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        # Masked lanes load 0: they add nothing to the sum of squares.
        x = tl.load(x_row + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
        sum_sq += x * x
    rstd = 1.0 / tl.sqrt(tl.sum(sum_sq, axis=0) / n_cols + eps)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        mask = cols < n_cols
        x = tl.load(x_row + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        # The reference rounds the normalised row to the input's dtype before scaling: so does this.
        normed = (x * rstd).to(out_ptr.dtype.element_ty).to(tl.float32)
        tl.store(out_ptr + row * n_cols + cols, (normed * w).to(out_ptr.dtype.element_ty), mask=mask)


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    assert x.dim() == 2 and weight.shape == (x.shape[1],), f"x {tuple(x.shape)}, weight {tuple(weight.shape)}"
    x = x.contiguous()
    n_rows, n_cols = x.shape
    out = torch.empty_like(x)
    # A tile of at most 1024 columns: long rows loop, short rows take one tile.
    BLOCK_SIZE = min(1024, triton.next_power_of_2(n_cols))
    rms_norm_kernel[(n_rows,)](x, weight, out, n_cols, x.stride(0), eps, BLOCK_SIZE=BLOCK_SIZE, num_warps=4)
    return out


class ModelNew(nn.Module):
    """RMSNorm with a Triton kernel that walks each row in column tiles."""

    def __init__(self, hidden, eps):
        super().__init__()
        self.eps = eps
        # The same parameter, under the same name, as the reference.
        self.weight = nn.Parameter(torch.ones(hidden))

    def forward(self, x):
        return rms_norm(x, self.weight, self.eps)
