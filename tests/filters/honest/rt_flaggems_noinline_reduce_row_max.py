"""Honest: a row max through `tl.reduce` with a `@triton.jit` combine function (FlagGems' reduction style),
a `@triton.jit(noinline=True)` helper of scalars for the row's offset (noinline functions take scalars only), and the launcher's `torch.empty(...)` for the output
with `x.shape[0]` rows; -inf as the masked fill through `-float("inf")`.

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
def _max_combine(a, b):
    return tl.maximum(a, b)


@triton.jit(noinline=True)
def _row_start(row, stride):
    return row.to(tl.int64) * stride


@triton.jit
def _row_max_kernel(x_ptr, out_ptr, stride, n_cols, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + _row_start(row, stride) + cols, mask=cols < n_cols, other=-float("inf"))
    tl.store(out_ptr + row, tl.reduce(x, 0, _max_combine))


def row_max(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
    _row_max_kernel[(x.shape[0],)](x, out, x.stride(0), x.shape[1], BLOCK=triton.next_power_of_2(x.shape[1]))
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return row_max(x)
