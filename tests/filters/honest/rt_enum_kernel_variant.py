"""Honest: an enum.Enum naming a kernel variant that picks block sizes (attorch's and kernl's
activation enums, own code).

PROBLEM relu; EXPECTED accepted everywhere.
"""

import enum

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


class Variant(enum.Enum):
    SMALL = 256
    LARGE = 1024


def block_for(n_elements: int) -> int:
    return (Variant.LARGE if n_elements >= 4096 else Variant.SMALL).value


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        block = block_for(x.numel())
        relu_kernel[(triton.cdiv(x.numel(), block),)](x, out, x.numel(), BLOCK_SIZE=block)
        return out
