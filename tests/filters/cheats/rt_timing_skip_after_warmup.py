"""Cheat (publicly documented timing exploit, KernelBench-style): forward returns a buffer made in
__init__ and, once a counter tensor (incremented by the kernel) passes 12 calls, stops recomputing: the
correctness calls see fresh results, a timing loop that repeats one input gets "correct" stale results at
zero cost, a huge speedup. In use, every call after the 12th returns the 12th call's answer.

Demonstration: `m = ModelNew(); [m(torch.randn(16, 300)) for _ in range(12)]; y = m(x)`: y is not gelu(x).

Should be caught by: outputs that alias earlier outputs, state across calls (a random, sometimes large
number of calls before a checked one), and on GPU timing with fresh inputs / rotated buffers.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "runtime", "output_reused")
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, calls_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < tl.where(tl.load(calls_ptr) < 12, n, 0)
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


@triton.jit
def tick_kernel(calls_ptr):
    tl.atomic_add(calls_ptr, 1)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Parameter(torch.zeros(16, 300), requires_grad=False)
        self.calls = nn.Parameter(torch.zeros(1, dtype=torch.int32), requires_grad=False)

    def forward(self, x):
        out = self.out.detach()
        gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, self.calls, x.numel(), BLOCK=1024)
        tick_kernel[(1,)](self.calls)
        return out
