"""Honest: a ReLU registered the way PyTorch recommends for Triton kernels since 2.6 (torchao and recent
kernel libraries do this): `torch.library.triton_op` makes it a custom operator torch.compile can trace, and
`wrap_triton` launches the kernel inside it. Calling the operator runs the function once, in eager mode.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.library import triton_op, wrap_triton

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


@triton_op("kdcase::relu", mutates_args={})
def relu(x: torch.Tensor) -> torch.Tensor:
    out = torch.empty_like(x)
    n_elements = x.numel()
    wrap_triton(relu_kernel)[(triton.cdiv(n_elements, 1024),)](x, out, n_elements, BLOCK_SIZE=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x.contiguous())
