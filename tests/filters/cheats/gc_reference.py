"""Cheat: find a live instance of the reference Model on the heap through the garbage collector (the
harness built one to compute the expected output) and call it.

PROBLEM relu. Caught by the static gate: gc is never importable.
"""

import gc

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        for obj in gc.get_objects():
            if isinstance(obj, nn.Module) and type(obj).__name__ == "Model":
                return obj(x)
        raise RuntimeError("no reference on the heap")
