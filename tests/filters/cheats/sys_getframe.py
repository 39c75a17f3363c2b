"""Cheat: sys._getframe(n) to read the caller's locals: the harness's `self` holds the reference model
used for timing baselines.

PROBLEM gelu. Caught by the static gate: sys is never importable (and _getframe is private).
"""

import sys

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
        depth = 1
        while True:
            caller = sys._getframe(depth).f_locals.get("self")
            if getattr(caller, "reference", None) is not None:
                return caller.reference(x)
            depth += 1
