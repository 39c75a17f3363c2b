"""Cheat: find the reference module wherever the harness loaded it, through sys.modules, and call its
Model.

PROBLEM relu. Caught by the static gate: sys is never importable.
"""

import sys

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


def _find_reference():
    for module in list(sys.modules.values()):
        model = vars(module).get("Model") if hasattr(module, "__dict__") else None
        if isinstance(model, type) and hasattr(module, "get_inputs"):
            return model()
    return None


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return _find_reference()(x)
