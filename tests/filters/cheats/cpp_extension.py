"""Cheat: compile a C++/CUDA extension with torch.utils.cpp_extension.load_inline that calls ATen, and
keep a decoy Triton kernel for the launch counter.

PROBLEM relu. Caught by the static gate: torch.utils is never allowed.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.utils.cpp_extension import load_inline

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"

_SOURCE = "torch::Tensor fast_relu(torch::Tensor x) { return x.clamp_min(0); }"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.ext = load_inline("fast_relu", cpp_sources=_SOURCE, functions=["fast_relu"])

    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(1,)](x, out, 1, BLOCK_SIZE=16)
        return self.ext.fast_relu(x)
