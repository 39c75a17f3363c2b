"""Honest: a split-K fp16 row sum, the way split-K GEMMs and Inductor's scatter reductions accumulate: four
programs per row each sum a quarter of it in fp32, round that partial once to fp16 and add it atomically
into the zeroed fp16 output. Each element receives four atomic adds, each rounding: further from the float64
truth than the reference (which rounds once), and allowed exactly what those adds cost.

PROBLEM rt_row_sum_fp16_k128; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_sum_fp16_k128"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"
FLAKY = {"cuda": "on a GPU the atomic adds' order, and so their rounding, varies from run to run: inside the error model it is accepted (an H100 run, 2026-12-06), beyond it unverified (another run), as a GPU cannot count the adds"}

SPLITS = 4


@triton.jit
def split_row_sum_kernel(x_ptr, out_ptr, n_cols, stride, CHUNK: tl.constexpr):
    row = tl.program_id(0)
    split = tl.program_id(1)
    cols = split * CHUNK + tl.arange(0, CHUNK)
    x = tl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    partial = tl.sum(x, axis=0)
    tl.atomic_add(out_ptr + row, partial.to(tl.float16))


class ModelNew(nn.Module):
    def forward(self, x):
        assert x.stride(-1) == 1
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        chunk = triton.next_power_of_2(triton.cdiv(x.shape[1], SPLITS))
        split_row_sum_kernel[(x.shape[0], SPLITS)](x, out, x.shape[1], x.stride(0), CHUNK=chunk)
        return out
