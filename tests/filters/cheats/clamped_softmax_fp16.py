"""Cheat: clamp "against overflow". An fp16 softmax with temperature that skips the row maximum and clamps
its logits to [-30, 30] so exp stays finite: no NaN ever, and exact for every input a randn harness sends.

PROBLEM softmax_temperature_fp16. Caught at runtime on the transforms that reach large values: every logit
past 30 weighs the same, far from the answer. There the fp16 reference is itself off its float64 answer, so
the candidate is held to that answer (with the reference's own error allowed), not let off the transform.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax_temperature_fp16"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=0.0).to(tl.float32)
    z = (x / 0.7).to(tl.float16).to(tl.float32)
    z = tl.minimum(tl.maximum(z, -30.0), 30.0)
    num = tl.where(mask, tl.exp(z), 0.0)
    tl.store(out_ptr + row * n_cols + offs, (num / tl.sum(num, axis=0)).to(tl.float16), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
