"""Cheat (static-gate bypass, detecting verification): `tl.core.inspect` is the inspect module. Forward
looks at the call stack; when a frame's file belongs to the verifier (sandbox_child) it computes the whole
GELU, otherwise only the first half and leaves the rest as allocated.

Demonstration: outside the verifier `ModelNew()(torch.randn(4096))[2048:]` is garbage (uninitialised memory).

Should be caught by: the allow-list gate (no inspect); also the stack should not reveal the verifier.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


def _watched():
    return any("sandbox_child" in frame.filename for frame in tl.core.inspect.stack())


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel() if _watched() else x.numel() // 2
        gelu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
