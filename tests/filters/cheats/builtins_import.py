"""Cheat: reach the import machinery through `__builtins__` so no import statement shows, then let
torch.nn.functional do the work.

PROBLEM gelu. Caught by the static gate: `__builtins__` is a dunder name.
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
        loader = __builtins__["__import__"] if isinstance(__builtins__, dict) else __builtins__.__import__
        functional = loader("torch.nn.functional", fromlist=["gelu"])
        return functional.gelu(x)
