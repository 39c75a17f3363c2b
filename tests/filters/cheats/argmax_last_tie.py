"""Cheat: break ties the other way. An argmax that returns the last index of the row's maximum instead of
the first (a reduction that keeps the later lane on equality is a shade simpler). On continuous draws
(randn, and its negated, scaled or shifted copies) a row never holds its maximum twice, so it matches.

PROBLEM row_argmax. Caught at runtime on inputs quantised to halves: a row of 300 then holds its maximum
several times, and PyTorch's rule (the reference's) is the first.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_argmax"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def row_argmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * n_cols + offs, mask=offs < n_cols, other=-float("inf"))
    largest = tl.max(x, axis=0)
    last = tl.max(tl.where(x == largest, offs, -1), axis=0)
    tl.store(out_ptr + row, last.to(tl.int64))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=torch.int64)
        row_argmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
