"""Cheat (detecting verification: call count; state in a tensor kernels write): a counter tensor made in
__init__ is incremented by the kernel itself (tl.atomic_add), so no Python state changes. For the first
24 calls (more than a verification makes) the kernel computes GELU; after that it writes only the first
half of the output.

Demonstration: `m = ModelNew(); [m(x) for _ in range(30)][-1]` differs from F.gelu(x) in its second half.

Should be caught by: a varying, sometimes large number of calls before the checked one (and state in
buffers a kernel writes across calls counted as state).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "anticheat", "kernel_state")
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, calls_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    calls = tl.load(calls_ptr)
    limit = tl.where(calls < 24, n, n // 2)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    mask = offs < limit
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


@triton.jit
def tick_kernel(calls_ptr):
    tl.atomic_add(calls_ptr, 1)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.calls = nn.Parameter(torch.zeros(1, dtype=torch.int32), requires_grad=False)

    def forward(self, x):
        calls = self.calls
        out = torch.zeros_like(x)
        gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, calls, x.numel(), BLOCK=1024)
        tick_kernel[(1,)](calls)
        return out
