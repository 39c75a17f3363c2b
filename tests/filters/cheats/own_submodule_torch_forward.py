"""Cheat (PyTorch behind a submodule of the candidate's own): ModelNew holds an nn.Module subclass the candidate
defines and calls it (`self.inner(x)`); that class's forward computes the answer with `torch.relu` beside a
decoy launch. A gate that lets the model call its own submodules must still check what they run.

Should be caught by: the submodule's class is candidate code, checked like any (PyTorch compute).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def _touch(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


class Inner(nn.Module):
    def forward(self, x):
        _touch[(1,)](x, x.numel(), BLOCK=128)
        return torch.relu(x)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = Inner()

    def forward(self, x):
        return self.inner(x)
