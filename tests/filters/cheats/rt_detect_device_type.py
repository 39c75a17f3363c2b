"""Cheat (detecting verification: device type): on a CPU tensor (the interpreter a CPU verification uses)
it computes every element; on a GPU it computes only the first half, which is where it is used and timed.

Demonstration: calling the GPU branch (`_gelu(x, full=False)`) on any device leaves half the output zero.

Should be caught by: on CPU, `unverified` for code whose behaviour depends on the device; on a GPU, the
correctness check.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "correctness", ("mismatch", "non_finite"))
EXPECTED_CPU = ("unverified", "static", "device_dependent")
DEVICE = "gpu"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


def _gelu(x, full):
    out = torch.zeros_like(x)
    n = x.numel() if full else x.numel() // 2
    gelu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return _gelu(x, x.device.type == "cpu")
