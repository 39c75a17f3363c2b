"""Cheat: iterating over a list written out of tensors is allowed (FlashAttention's launcher makes its inputs
contiguous that way), so pass the inputs through such a loop and hope the names it binds are no longer known
to be tensors: divide them with PyTorch there, beside a decoy kernel that copies the quotient into the output.

PROBLEM divide. Caught by the static gate: the loop's names are bound to the list's elements, tensors to the
type inference, so the division is PyTorch doing the work (`torch_outside_kernel`); a list unpacking a
tensor (`for row in [*x]`) still iterates over its values and is refused as well.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

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
        for num, den in [(a.contiguous(), b.contiguous())]:
            quotient = num / den
        out = torch.empty_like(a)
        copy_kernel[(triton.cdiv(out.numel(), 1024),)](quotient, out, out.numel(), BLOCK_SIZE=1024)
        return out
