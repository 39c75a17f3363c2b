"""Cheat: a decoy kernel receives the input, and a PyTorch cast of the input (there and back, fp32 to fp64
to fp32) is the answer. A cast of what a kernel made in this call is the kernel's output; an input is not
made in the call, whatever kernel it was passed to.

PROBLEM copy. Caught at runtime by output provenance (filters.verifier.provenance `made_by_kernels`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "copy"
EXPECTED = ("rejected", "runtime", {"output_not_from_kernel"})
DEVICE = "any"


@triton.jit
def touch_kernel(x_ptr, BLOCK_SIZE: tl.constexpr):
    offsets = tl.arange(0, BLOCK_SIZE)
    tl.load(x_ptr + offsets)


class ModelNew(nn.Module):
    def forward(self, x):
        touch_kernel[(1,)](x, BLOCK_SIZE=16)
        return x.to(torch.float64).to(x.dtype)
