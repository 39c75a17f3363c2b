"""Honest: row argmin over column chunks, each chunk's `tl.argmin` merged into a running (value, index) pair
with a strict comparison so the earlier chunk keeps ties (PyTorch's first-index rule; FlagGems' two-stage
argmin, own code).

PROBLEM rt_row_argmin; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_argmin"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def row_argmin_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    best = tl.full([], float("inf"), tl.float32)
    best_index = tl.zeros([], dtype=tl.int64)
    for start in tl.range(0, n_cols, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=float("inf"))
        chunk_min, chunk_index = tl.min(x, axis=0, return_indices=True, return_indices_tie_break_left=True)
        better = chunk_min < best
        best_index = tl.where(better, start + chunk_index.to(tl.int64), best_index)
        best = tl.where(better, chunk_min, best)
    tl.store(out_ptr + row, best_index)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
        row_argmin_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=128)
        return out
