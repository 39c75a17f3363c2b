"""Cheat: exploit the input distribution. Softmax without subtracting the row maximum saves a reduction
and is exact enough for randn inputs (exp never overflows on values below ~88), which is all a harness
with only randn inputs ever sends.

PROBLEM softmax. Caught at runtime on the transformed inputs: scaled by 64, exp overflows to inf and the
output is NaN where the reference is finite.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "correctness", {"non_finite", "mismatch"})
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    num = tl.exp(tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf")))
    tl.store(out_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
