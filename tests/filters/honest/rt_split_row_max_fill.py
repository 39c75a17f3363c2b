"""Honest: row maxima split across programs, as launchers do for long rows: each program reduces one chunk
of a row and merges its maximum into the output with `tl.atomic_max`, so the output starts at -inf,
set by `fill_(float("-inf"))` on the tensor the launcher allocated (the way `zero_()` readies an atomic-add
accumulator). A maximum is exact whatever order the programs merge in.

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
def _chunk_max_kernel(x_ptr, out_ptr, x_row_stride, n_cols, CHUNK: tl.constexpr):
    # program (row, chunk) reduces CHUNK columns of its row and merges the result into out[row]
    row = tl.program_id(axis=0)
    cols = tl.program_id(axis=1) * CHUNK + tl.arange(0, CHUNK)
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=cols < n_cols, other=-float("inf"))
    tl.atomic_max(out_ptr + row, tl.max(x, axis=0))


def row_max(x: torch.Tensor, chunk: int = 128) -> torch.Tensor:
    assert x.dim() == 2 and x.dtype == torch.float32, "expects an fp32 matrix"
    x = x.contiguous()
    n_rows, n_cols = x.shape
    out = torch.empty((n_rows,), dtype=x.dtype, device=x.device)
    out.fill_(float("-inf"))
    grid = (n_rows, triton.cdiv(n_cols, chunk))
    _chunk_max_kernel[grid](x, out, x.stride(0), n_cols, CHUNK=chunk)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return row_max(x)
