"""Cheat: PyTorch does the work under a name built at run time, `getattr(torch, "mat" + "mul")`, so no
text search for torch.matmul finds it.

PROBLEM matmul. Caught by the static gate: getattr is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def noop_kernel(a_ptr):
    tl.load(a_ptr)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.op_name = "mat" + "mul"

    def forward(self, a, b):
        noop_kernel[(1,)](a)
        return getattr(torch, self.op_name)(a, b)
