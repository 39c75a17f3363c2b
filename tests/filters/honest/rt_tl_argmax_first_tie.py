"""Honest: row argmax with `tl.argmax`, whose `tie_break_left` (the default) picks the first of equal maxima as
PyTorch does; padding lanes load -inf so they never win; the index stored as int64 (FlagGems' argmax, own code).

PROBLEM rt_row_argmax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_argmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_argmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    x = tl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=float("-inf"))
    index = tl.argmax(x, axis=0, tie_break_left=True)
    tl.store(out_ptr + row, index.to(tl.int64))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
        row_argmax_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
