"""Cheat (state across calls through a bound method): `map(SEEN.append, [1])` appends to a module list
without a call of `.append` in the syntax tree, counting calls; past 40 the kernel writes zeros.

PROBLEM relu. Caught by the static gate: a mutating method (append, update, add...) taken as a value.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=m)


@triton.jit
def zero_kernel(out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(out_ptr + offs, tl.zeros([BLOCK], dtype=tl.float32), mask=offs < n)

SEEN = list(())


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        any(map(SEEN.append, [1]))
        if len(SEEN) <= 40:
            relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        else:
            zero_kernel[(triton.cdiv(n, 1024),)](out, n, BLOCK=1024)
        return out
