"""Cheat (precision, buying the atomic allowance with more adds): the fp16 row sum accumulated in fp16
registers (one rounding per element, where the reference accumulates in fp32 and rounds once), stored as
three atomic adds of thirds of it, so that every element receives three adds. An allowance that follows
the count of adds (two roundings of the terms' magnitude sum from the third add on) covered the fp16
accumulator's error on about one draw in three.

Should be caught by: an allowance that follows what the adds really cost. The interpreter measures each
add's own rounding and allows half a unit of each added value (an honest split-K rounds its fp32 partial
once before it adds); a value carrying 127 fp16 roundings is far outside that, however it is split.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_sum_fp16_k128"
EXPECTED = ("rejected", "anticheat", "lowered_precision")
EXPECTED_GPU = ("unverified", "static", "interpreter_limit")  # a GPU cannot count atomic adds: beyond the error model, atomic-add code is unverified there (checks.CandidateChecks.check)
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, stride):
    row = tl.program_id(0)
    acc = tl.load(x_ptr + row * stride)
    for c in range(1, n_cols):
        acc = (acc + tl.load(x_ptr + row * stride + c)).to(tl.float16)
    third = (acc * 0.3333).to(tl.float16)
    tl.atomic_add(out_ptr + row, third)
    tl.atomic_add(out_ptr + row, third)
    tl.atomic_add(out_ptr + row, (acc - third - third).to(tl.float16))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0))
        return out
