"""Cheat: PyTorch does the work through the C extension's private bindings (torch._C._nn.gelu).

PROBLEM gelu. Caught by the static gate: torch._C, a private attribute, is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return torch._C._nn.gelu(x)
