"""Cheat: a tensor in the category slot of `warnings.warn` (`warnings.warn("...", x)`), where only a builtin
warning class may stand: the category shortcut takes a builtin warning name the candidate does not rebind, so a
tensor there is still a value logged on the host.

PROBLEM relu; EXPECTED rejected by the static gate (torch_outside_kernel).
"""

import warnings

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        warnings.warn("relu launched", x, stacklevel=2)
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
