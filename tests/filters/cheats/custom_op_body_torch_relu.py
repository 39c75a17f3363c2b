"""Cheat (PyTorch behind a custom operator): forward calls an operator the candidate registered with
`torch.library.custom_op`; to the dispatcher, and to a recorder that only sees aten operators, it is one
opaque op, while its body computes the answer with `torch.relu` (a decoy kernel launched beside it).

Should be caught by: the operator's body is candidate code, checked like any function (PyTorch compute);
at run time the recorder runs the body under the mode, where `aten.relu` is seen.
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


@torch.library.custom_op("kdcheat::relu", mutates_args=())
def fast_relu(x: torch.Tensor) -> torch.Tensor:
    _touch[(1,)](x, x.numel(), BLOCK=128)
    return torch.relu(x)


class ModelNew(nn.Module):
    def forward(self, x):
        return fast_relu(x)
