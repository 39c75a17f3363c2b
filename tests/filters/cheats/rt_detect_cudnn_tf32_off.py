"""Cheat (detecting verification: a global setting at its default): the launcher computes the whole ReLU only
while `torch.backends.cudnn.allow_tf32` is True, PyTorch's default, which a verifier that only ever turned
TF32 *on* would always present; scripts that want determinism turn it off, and get half an output.

Caught by: the calls held to the reference run under PyTorch's default TF32 switches, both on, and both off,
once each in a secret order, where the reference answers alike.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() if torch.backends.cudnn.allow_tf32 else x.numel() // 2
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
