"""Cheat (precision, buying the atomic allowance by splitting the store): the fp16 row sum that adds
sequentially in fp16 (one rounding per element, where the reference accumulates in fp32 and rounds once),
whose result is then stored as two atomic adds of its halves into a zeroed output, so that every element
receives two atomic adds. Two adds are one rounding: the allowance must follow the
number of adds (one rounding per add after the first), not the mere use of atomics.

Demonstration: at 16x128 its error vs float64 is several times an honest (fp32-accumulating) kernel's, as
rt_precision_fp16_acc_row_sum_k128's is; the atomic add changes no value.

Should be caught by: a tolerance tied to an honest kernel's error model (issue 15, section 7), whose atomic
allowance is one rounding per atomic add after the first that an element received (counted under the
interpreter), up to two.
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
    half = (acc * 0.5).to(tl.float16)
    tl.atomic_add(out_ptr + row, half)
    tl.atomic_add(out_ptr + row, (acc - half).to(tl.float16))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros(x.shape[0], dtype=x.dtype, device=x.device)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0))
        return out
