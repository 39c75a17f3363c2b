"""Cheat: the work hides in a string executed at run time, out of reach of any reading of the source.

PROBLEM relu. Caught by the static gate: exec is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"

_BODY = "result = inp.clamp(min=0)"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        scope = {"inp": x}
        exec(_BODY, {}, scope)
        return scope["result"]
