"""Cheat: a decoy @triton.jit kernel that is defined, commented like the real thing, and never launched;
the answer comes from torch.where.

PROBLEM relu. Caught by the static gate (torch.where, and the comparison on a tensor). Without the gate,
the launch counter would reject it as no_kernel_launched.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one program per block of BLOCK_SIZE elements
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


def relu(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    if out.numel() == 0:  # "fast path"; never taken, but the launch is in the source
        relu_kernel[(1,)](x, out, 0, BLOCK_SIZE=1024)
        return out
    return torch.where(x > 0, x, torch.zeros_like(x))


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
