"""Honest: a running sum with `tl.associative_scan` and a @triton.jit combine function (the idiom of
FlagGems' cumsum and Mamba-style scans, own code): one program per row, the scan in fp32.

PROBLEM rt_cumsum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cumsum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _add_combine(a, b):
    return a + b


@triton.jit
def row_cumsum_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    y = tl.associative_scan(x, 0, _add_combine)
    tl.store(out_ptr + row * stride + cols, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        row_cumsum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
