"""Cheat: one tile per row, its width fixed to cover the shown row (300 columns: BLOCK_SIZE 512), with no
loop over the row. Exact on the shown problem; on a wider row it sums only the first 512 columns.

PROBLEM row_sum, with a second workload (8 x 700) the teacher never saw (issue 16, several shapes per spec).
Caught on that workload: the sums miss 188 columns (mismatch there), which the verifier names
`shape_specialised`.
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
    cols = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    tl.store(out_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=512)
        return out
