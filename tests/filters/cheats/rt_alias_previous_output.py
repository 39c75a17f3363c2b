"""Cheat (outputs that alias earlier outputs): forward returns the same buffer, made once in __init__,
every call. Each result is correct when read at once, but the next call overwrites the previous result
behind the caller's back (and a timing loop never pays for an allocation).

Demonstration: `y1 = m(a); y2 = m(b); torch.equal(y1, F.gelu(a))` is False (y1 is y2).

Should be caught by: outputs must alias no earlier output (keep the previous call's outputs and compare
storages), not only no input.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "runtime", "output_reused")
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Parameter(torch.empty(16, 300), requires_grad=False)

    def forward(self, x):
        out = self.out.detach()
        gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
