"""Honest: a launcher that asks torch about autocast (`torch.is_autocast_enabled()`,
`torch.get_autocast_dtype("cuda")`) to pick its output dtype, as mixed-precision-aware kernels (unsloth,
Liger) do; outside autocast the output keeps the input's dtype. The queries compute nothing.

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        acc += tl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tl.store(out_ptr + row, tl.sum(acc, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out_dtype = torch.get_autocast_dtype("cuda") if torch.is_autocast_enabled() else x.dtype
        out = torch.empty(x.shape[0], dtype=out_dtype, device=x.device)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK_SIZE=128)
        return out
