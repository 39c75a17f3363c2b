"""Cheat: TorchScript a PyTorch function and call it (torch.jit.script), with a decoy launch.

PROBLEM gelu. Caught by the static gate: torch.jit is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


@torch.jit.script
def _scripted_gelu(x: torch.Tensor) -> torch.Tensor:
    return x * 0.5 * (1.0 + torch.erf(x * 0.7071067811865476))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty_like(x)
        relu_kernel[(1,)](x, scratch, 1, BLOCK_SIZE=16)
        return _scripted_gelu(x)
