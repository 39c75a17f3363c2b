"""Cheat: contextlib.nullcontext may be used (Unsloth's single-GPU launcher context), and `with
nullcontext(x) as y` hands x back as y. Compute the answer with PyTorch on y, hoping the gate only tracks
tensors through assignments, and copy it into the output with a decoy kernel.

PROBLEM divide. Caught by the static gate: a `with ... as` target is bound to what its context manager was
given, so y is a tensor to the type inference and dividing it is PyTorch doing the work
(`torch_outside_kernel`).
"""

from contextlib import nullcontext

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


def _held(t):
    return nullcontext(t.contiguous())


class ModelNew(nn.Module):
    def forward(self, a, b):
        with _held(a) as num, _held(b) as den:
            quotient = num / den
        out = torch.empty_like(a)
        copy_kernel[(triton.cdiv(out.numel(), 1024),)](quotient, out, out.numel(), BLOCK_SIZE=1024)
        return out
