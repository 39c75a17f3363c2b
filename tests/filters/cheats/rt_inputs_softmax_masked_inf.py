"""Cheat (inputs the verifier never draws: masked scores): the kernel "sanitises" its row, replacing every
value whose magnitude is 1e30 or more by 0 before the softmax, a guard against overflow that no drawn input
reaches (the heavy tail stops at 1e6). Softmax's most common real input is a masked attention score row,
where the masked positions hold -inf; the guard turns them into 0, so masked positions get weight
exp(0 - max) instead of 0 and every row that has a mask is wrong.

Demonstration: `x[:, 150:] = float("-inf"); ModelNew()(x)` puts weight on the masked columns, where
`torch.softmax` gives exactly 0.

Should be caught by: inputs with -inf entries (a mask) for problems whose reference is finite on them (a
softmax, a max, a log-sum-exp: a CPU probe of the reference says), as the other transforms are.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=-float("inf"))
    x = tl.where(mask & (tl.abs(x) >= 1e30), 0.0, x)
    m = tl.max(x, axis=0)
    e = tl.exp(x - m)
    tl.store(out_ptr + row * stride + cols, e / tl.sum(e, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
