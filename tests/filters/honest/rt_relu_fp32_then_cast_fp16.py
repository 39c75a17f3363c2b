"""Honest: a ReLU computed into an fp32 buffer and returned cast to the spec's fp16 output dtype. On a
non-negative draw (one of the verifier's input transforms) the buffer equals its input, as a ReLU's output
does; the cast-of-an-input rule rejects only what holds on every call, so this is accepted.

PROBLEM rt_relu_to_fp16; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_relu_to_fp16"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        buf = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, buf, x.numel(), BLOCK_SIZE=256)
        return buf.to(torch.float16)
