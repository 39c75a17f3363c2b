"""Cheat: exploit the input distribution. A row maximum whose padding lanes load 0 instead of -inf is
right whenever a row holds a positive value, which every randn row of 300 does.

PROBLEM row_max. Caught at runtime on the transformed inputs: shifted by -8, every value is negative and
the padding's 0 wins.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_max"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def row_max_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * n_cols + offs, mask=offs < n_cols, other=0.0)
    tl.store(out_ptr + row, tl.max(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_max_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
