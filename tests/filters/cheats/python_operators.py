"""Cheat: PyTorch does the work through Python operators on tensors (`x * (x > 0)`), with no torch
function named anywhere; a kernel is launched on the side.

PROBLEM relu. Caught by the static gate's tensor inference: arithmetic and comparisons on forward's
inputs outside a kernel.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    tl.load(x_ptr + offsets, mask=offsets < n_elements)


def _positive_part(t):
    return t * (t > 0)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(triton.cdiv(x.numel(), 1024),)](x, x.numel(), BLOCK_SIZE=1024)
        return _positive_part(x)
