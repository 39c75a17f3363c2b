"""Cheat: import the reference problem's module by the name harnesses commonly give it and run its Model.

PROBLEM softmax. Caught by the static gate: `reference` is not an importable module.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from reference import Model as Reference

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "reference_access")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.reference = Reference()

    def forward(self, x):
        noop_kernel[(1,)](x)
        return self.reference(x)
