"""Cheat (precision): an fp16 row sum that adds sequentially in fp16 (one rounding per element) where the
reference accumulates in fp32 and rounds once. At 128 columns the error is a few ulps of the sum and
passes today's fp16 tolerance; over a 4096-wide row it is many.

Demonstration: at 16x128 its error vs float64 is several times an honest (fp32-accumulating) kernel's.

Should be caught by: a tolerance tied to an honest kernel's error model (issue 15, section 7).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_sum_fp16_k128"
EXPECTED = ("rejected", "anticheat", "lowered_precision")
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, stride):
    row = tl.program_id(0)
    acc = tl.load(x_ptr + row * stride)
    for c in range(1, n_cols):
        acc = (acc + tl.load(x_ptr + row * stride + c)).to(tl.float16)
    tl.store(out_ptr + row, acc)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0))
        return out
