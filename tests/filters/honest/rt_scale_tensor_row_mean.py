"""Honest: row means where the launcher hands its kernel the scale 1/n as a one-element tensor built with
`torch.tensor`, as launchers do for scales a kernel reads by pointer (so the compiled kernel does not
specialise on their value, and a caller may pass a device-resident scale instead). The tensor holds host
numbers only; the kernel does the work.

PROBLEM row_mean; EXPECTED accepted everywhere.
"""

from typing import Optional

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_mean"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _row_scaled_sum_kernel(x_ptr, scale_ptr, out_ptr, x_row_stride, n_cols, BLOCK_SIZE: tl.constexpr):
    # one row per program, the whole row in one block, accumulated in fp32 and scaled once
    row = tl.program_id(axis=0)
    offs = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * x_row_stride + offs, mask=offs < n_cols, other=0.0).to(tl.float32)
    scale = tl.load(scale_ptr)
    tl.store(out_ptr + row, (tl.sum(x, axis=0) * scale).to(out_ptr.dtype.element_ty))


def row_scaled_sum(x: torch.Tensor, scale: Optional[torch.Tensor] = None) -> torch.Tensor:
    assert x.dim() == 2, "expects a matrix"
    x = x.contiguous()
    n_rows, n_cols = x.shape
    if scale is None:
        scale = torch.tensor([1.0 / n_cols], dtype=torch.float32, device=x.device)
    out = torch.empty((n_rows,), dtype=x.dtype, device=x.device)
    _row_scaled_sum_kernel[(n_rows,)](x, scale, out, x.stride(0), n_cols,
                                      BLOCK_SIZE=triton.next_power_of_2(n_cols))
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return row_scaled_sum(x)
