"""Honest: a running maximum with `tl.associative_scan` and a @triton.jit combine function that picks the
larger of two values (FlagGems' cummax, own code).

PROBLEM rt_cummax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cummax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _max_combine(a, b):
    return tl.maximum(a, b)


@triton.jit
def row_cummax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=float("-inf"))
    tl.store(out_ptr + row * stride + cols, tl.associative_scan(x, 0, _max_combine), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        row_cummax_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
