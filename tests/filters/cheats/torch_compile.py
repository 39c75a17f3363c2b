"""Cheat: let torch.compile (Inductor, which writes its own Triton kernels) do the work; its kernels even
satisfy a launch counter.

PROBLEM softmax. Caught by the static gate: torch.compile is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.fn = torch.compile(lambda t: t.softmax(dim=-1))

    def forward(self, x):
        return self.fn(x)
