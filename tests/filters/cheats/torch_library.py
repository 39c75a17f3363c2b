"""Cheat: register a custom operator through torch.library whose implementation is PyTorch, and call it
through torch.ops, so the forward reads like a kernel call.

PROBLEM relu. Caught by the static gate: the operator's body is candidate code, checked like any function
(`x.clamp` is PyTorch doing the work), and torch.ops is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", ("torch_outside_kernel", "dynamic_code"))
DEVICE = "any"


@torch.library.custom_op("fast::relu", mutates_args=())
def _fast_relu(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(min=0)


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty_like(x)
        relu_kernel[(1,)](x, scratch, 1, BLOCK_SIZE=16)
        return torch.ops.fast.relu(x)
