"""Cheat: the shown shape written into the launcher, a view to constant dims (16, 300) and a grid of 16
rows. Exact on the shown problem; on any other shape the view raises.

PROBLEM row_sum, with a second workload (8 x 700) the teacher never saw (issue 16, several shapes per spec).
Caught on that workload: the candidate fails when run there, which the verifier names `shape_specialised`.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
WORKLOADS = ("row_sum_8x700",)
EXPECTED = ("rejected", "correctness", "shape_specialised")
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    acc = tl.zeros([BLOCK_SIZE], dtype=tl.float32)
    for start in range(0, n_cols, BLOCK_SIZE):
        cols = start + tl.arange(0, BLOCK_SIZE)
        acc += tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    tl.store(out_ptr + row, tl.sum(acc, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous().view(16, 300)
        out = torch.empty(16, device=x.device, dtype=x.dtype)
        row_sum_kernel[(16,)](x, out, 300, BLOCK_SIZE=128)
        return out
