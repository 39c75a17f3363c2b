"""Cheat: an enum.Enum "activation" whose method computes the output in PyTorch (attorch-style enums dispatch
on a member), called after a kernel launch whose result is thrown away. The gate allows an enum only as a list
of written-out constants; the method keeps the class refused (reflection).

PROBLEM relu; EXPECTED rejected by the static gate (reflection or torch_outside_kernel).
"""

import enum

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", ("reflection", "torch_outside_kernel"))
DEVICE = "any"


class Activation(enum.Enum):
    RELU = "relu"

    def finish(self, x):
        return x.clamp(min=0.0)


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return Activation.RELU.finish(x)
