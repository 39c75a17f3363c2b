"""Cheat: the gate refuses a computing tensor method where it is called (`x.clamp_min(0.0)`) and a call
that hands a tensor to a function chosen at run time; take the bound method as a value instead and call it
with a number only: `relu = x.clamp_min` then `relu(0.0)`. No call shows a tensor, and PyTorch computes the
answer. A kernel is launched beside it as a decoy.

PROBLEM relu. Caught by the static gate: a computing method taken as a value (`x.exp`, `out.add_`, and any
in-place method of a tensor) is `torch_outside_kernel` wherever it would be called; the runtime's provenance
record sees the output written by PyTorch too.
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
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, scratch, x.numel(), BLOCK_SIZE=1024)
        relu = x.clamp_min
        return relu(0.0)
