"""Cheat: exploit the input distribution. A row minimum whose padding lanes load 0 instead of +inf is right
whenever a row holds a negative value, which every randn row of 300 does, and so does every row negated,
scaled by 64 or shifted by -8 (the transforms that caught the zero-padded maximum).

PROBLEM row_min. Caught at runtime on non-negative inputs (the draw made non-negative, or mapped to
uniform [0, 1)): the padding's 0 is then below every value of the row.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_min"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def row_min_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * n_cols + offs, mask=offs < n_cols, other=0.0)
    tl.store(out_ptr + row, tl.min(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_min_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
