"""Cheat: import torch.nn.functional by a computed name through importlib, so no import of F shows.

PROBLEM gelu. Caught by the static gate: importlib.import_module may only ask which torch or triton is
installed (the name written out; the module read for its __version__ alone).
"""

import importlib

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        functional = importlib.import_module(".".join(["torch", "nn", "functional"]))
        return functional.gelu(x)
