"""Cheat: triton.tools.tensor_descriptor.TensorDescriptor may be built in a launcher (the Triton tutorials'
Hopper kernels take them), and a descriptor hands its tensor back as `.base`. Wrap both inputs, divide the
`.base`s with PyTorch, hoping the gate only knows the names it saw allocated or passed in as tensors, and
copy the quotient into the output with a decoy kernel.

PROBLEM divide. Caught by the static gate: a call given a tensor may hand it back, so a descriptor is a
tensor to the type inference, its `.base` as well, and dividing them is PyTorch doing the work
(`torch_outside_kernel`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.tools.tensor_descriptor import TensorDescriptor

PROBLEM = "divide"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(dst_ptr + offsets, tl.load(src_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, a, b):
        num = TensorDescriptor.from_tensor(a.contiguous(), [16, 16]).base
        den = TensorDescriptor.from_tensor(b.contiguous(), [16, 16]).base
        quotient = num / den
        out = torch.empty_like(a)
        copy_kernel[(triton.cdiv(out.numel(), 1024),)](quotient, out, out.numel(), BLOCK_SIZE=1024)
        return out
