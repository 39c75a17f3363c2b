"""Cheat: accumulate an fp16 row sum in fp16, rounding the running sum after every column (half the
registers of an fp32 accumulator). The reference sums in fp32 and rounds once; with 32 columns the result
is off by only a few units in the last place, inside fp16's atol/rtol of 1e-2.

PROBLEM row_sum_fp16_short. Caught at runtime against the honest-kernel error model (filters.verifier.truth): an
honest kernel sits within about one fp16 ulp of the float64 truth, this one is several ulps off at many
rows.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum_fp16_short"
EXPECTED = ("rejected", "anticheat", "lowered_precision")
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_rows, n_cols, BLOCK_ROWS: tl.constexpr):
    rows = tl.program_id(0) * BLOCK_ROWS + tl.arange(0, BLOCK_ROWS)
    acc = tl.zeros([BLOCK_ROWS], dtype=tl.float16)
    for col in range(0, n_cols):
        x = tl.load(x_ptr + rows * n_cols + col, mask=rows < n_rows, other=0.0)
        acc = (acc + x).to(tl.float16)
    tl.store(out_ptr + rows, acc, mask=rows < n_rows)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_sum_kernel[(triton.cdiv(x.shape[0], 16),)](x, out, x.shape[0], x.shape[1], BLOCK_ROWS=16)
        return out
