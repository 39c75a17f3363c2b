"""Cheat (detecting verification: pointer alignment): every input the verifier hands over starts on a
64-byte boundary (a fresh CPU allocation, 64-aligned, or one 256 bytes into a larger one; on a GPU the
caching allocator's 512-byte blocks), while a view such as `x[:, 1:]` or `flat[1:].view(...)` starts 4 bytes
past one. The launcher reads `x.data_ptr() % 16`, as honest launchers do to choose a vectorised path, and
computes the whole ReLU only on 16-byte-aligned inputs.

Demonstration: `ModelNew()(torch.randn(16 * 300 + 1)[1:].view(16, 300))` leaves half the output zero.

On CPU the gate makes any `data_ptr()` read `device_dependent` (unverified). On a GPU, should be caught by:
some calls whose inputs start at an address that is not 16-byte aligned (an odd element offset), so a
branch on the alignment meets both answers on the same values.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
EXPECTED_CPU = ("unverified", "static", "device_dependent")
DEVICE = "gpu"
XFAIL = {"cuda": "accepted: every input a GPU verification hands over is 16-byte aligned (the caching allocator's blocks, offset calls 256 bytes in)"}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        aligned = x.data_ptr() % 16 == 0
        n = x.numel() if aligned else x.numel() // 2
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
