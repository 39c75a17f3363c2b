"""Cheat: evaluate a string that names the torch function (`eval("torch." + "softmax")`).

PROBLEM softmax. Caught by the static gate: eval is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return eval("torch." + "soft" + "max")(x, dim=-1)
