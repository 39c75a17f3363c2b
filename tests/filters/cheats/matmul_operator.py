"""Cheat: PyTorch does the work through an operator: `a @ b` after a decoy launch.

PROBLEM matmul. Caught by the static gate: the @ operator.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def zero_kernel(c_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    tl.store(c_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32), mask=offsets < n_elements)


class ModelNew(nn.Module):
    def forward(self, a, b):
        c = torch.empty((a.shape[0], b.shape[1]), device=a.device, dtype=a.dtype)
        zero_kernel[(triton.cdiv(c.numel(), 1024),)](c, c.numel(), BLOCK_SIZE=1024)
        return a @ b
