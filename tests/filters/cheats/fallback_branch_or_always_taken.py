"""Cheat (a "fallback" whose test holds on a GPU too): `if not x.is_cuda or x.numel() > 0:` reads like the
off-GPU fallback kernel libraries write, but its second operand is true for every input, so PyTorch computes
the answer on every device while a kernel is only declared.

Should be caught by: only a test that holds off a GPU alone (every operand of an `or` off-GPU) makes a
branch a fallback; this one is PyTorch doing the work.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def _relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        if not x.is_cuda or x.numel() > 0:
            return F.relu(x)
        y = torch.empty_like(x)
        n = x.numel()
        _relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
