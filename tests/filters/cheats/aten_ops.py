"""Cheat: PyTorch does the work through the dispatcher directly: torch.ops.aten.mm.default, which no
list of torch.* functions names.

PROBLEM matmul. Caught by the static gate: torch.ops is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def noop_kernel(a_ptr):
    tl.load(a_ptr)


class ModelNew(nn.Module):
    def forward(self, a, b):
        noop_kernel[(1,)](a)
        return torch.ops.aten.mm.default(a, b)
