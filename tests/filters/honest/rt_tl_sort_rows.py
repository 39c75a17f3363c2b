"""Honest: a row sort with `tl.sort(..., descending=True)` (FlagGems' sort and SGLang's top-k sampling
helpers, own code): one program per row of a power-of-two width, the bitonic sort done by Triton.

PROBLEM rt_sort_desc; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_sort_desc"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_sort_kernel(x_ptr, out_ptr, stride, N_COLS: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, N_COLS)
    x = tl.load(x_ptr + row * stride + cols)
    tl.store(out_ptr + row * stride + cols, tl.sort(x, dim=0, descending=True))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n_cols = x.shape[1]
        assert n_cols == triton.next_power_of_2(n_cols), "tl.sort sorts a power-of-two block"
        out = torch.empty_like(x)
        row_sort_kernel[(x.shape[0],)](x, out, x.stride(0), N_COLS=n_cols)
        return out
