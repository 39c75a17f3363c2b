"""Honest: fp16 softmax with temperature, the row maximum subtracted, everything in fp32 (the division not
rounded to fp16 as the reference rounds it). On large inputs the reference is off its float64 answer by the
rounding of its fp16 logits; this kernel is near that answer instead, and must be accepted on every draw.

PROBLEM softmax_temperature_fp16; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax_temperature_fp16"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, stride_row, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * stride_row + offs, mask=mask, other=-float("inf")).to(tl.float32)
    z = x / 0.7
    z = z - tl.max(z, axis=0)
    num = tl.exp(z)
    out = num / tl.sum(num, axis=0)
    tl.store(out_ptr + row * n_cols + offs, out.to(tl.float16), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        assert x.stride(-1) == 1 or x.shape[-1] == 1
        out = torch.empty(x.shape, device=x.device, dtype=x.dtype)
        softmax_kernel[(x.shape[0],)](x, out, x.stride(0), x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
