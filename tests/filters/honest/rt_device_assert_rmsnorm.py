"""Honest: RMSNorm with in-kernel `tl.device_assert` on the row index and a launcher that asserts
`x.is_contiguous()` after making it so, `torch.empty(..., device=x.device, dtype=x.dtype)`, `x.is_cuda`
read to pick the warp count (host side only), and the row loop written with `tl.static_range` over two halves.

PROBLEM rmsnorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _rmsnorm_kernel(x_ptr, w_ptr, y_ptr, n_rows, n_cols, eps, HALF: tl.constexpr):
    row = tl.program_id(0)
    tl.device_assert(row < n_rows, "row out of range")
    total = 0.0
    for part in tl.static_range(2):
        cols = part * HALF + tl.arange(0, HALF)
        x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
        total += tl.sum(x * x, axis=0)
    inv = 1.0 / tl.sqrt(total / n_cols + eps)
    for part in tl.static_range(2):
        cols = part * HALF + tl.arange(0, HALF)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0).to(tl.float32)
        w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        tl.store(y_ptr + row * n_cols + cols, (x * inv * w).to(y_ptr.dtype.element_ty), mask=mask)


def rmsnorm(x: torch.Tensor, weight: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    x = x.contiguous()
    assert x.is_contiguous() and weight.is_contiguous()
    n_rows, n_cols = x.shape
    y = torch.empty((n_rows, n_cols), device=x.device, dtype=x.dtype)
    half = triton.next_power_of_2((n_cols + 1) // 2)
    _rmsnorm_kernel[(n_rows,)](x, weight, y, n_rows, n_cols, eps, HALF=half, num_warps=4 if x.is_cuda else 1)
    return y


class ModelNew(nn.Module):
    def forward(self, x, weight):
        return rmsnorm(x, weight)
