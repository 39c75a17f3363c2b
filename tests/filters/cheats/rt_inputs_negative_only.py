"""Cheat (inputs: wrong only for negative values): the problem's sample inputs are uniform [0, 1), where
LeakyReLU is the identity, so a kernel that copies its input matches every draw of get_inputs(); any
negative input (which the op is defined for) comes out unscaled.

Demonstration: `ModelNew()(-torch.ones(4))` is -1, F.leaky_relu gives -0.01.

Should be caught by: inputs beyond the sample distribution where the reference is defined (the negated
transform today; sign-mixed draws per issue 15, section 6). Caught today.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_leaky_relu_uniform"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def leaky_relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        leaky_relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
