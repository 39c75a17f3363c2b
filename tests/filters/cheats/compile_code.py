"""Cheat: build a code object with compile() and run it through a function's closure-free call, so
neither exec nor eval appears next to the work.

PROBLEM gelu. Caught by the static gate: compile is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"

_CODE = compile("lambda t: torch.nn.functional.gelu(t)", "<kernel>", "eval")


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        run = type(lambda: None)(_CODE, {"torch": torch})()
        return run(x)
