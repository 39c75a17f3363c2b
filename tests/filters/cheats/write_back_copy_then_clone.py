"""Cheat: `x.clone()` is handed to a kernel that stores every element back unchanged, and a second clone
of it is returned. The stores cover the copy, but its values came from the input, not from the kernel; a
clone of such a buffer is no more the kernel's output than the buffer is.

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
def write_back_kernel(buf_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(buf_ptr + offsets, tl.load(buf_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        buf = x.clone()
        write_back_kernel[(triton.cdiv(buf.numel(), 256),)](buf, buf.numel(), BLOCK_SIZE=256)
        return buf.clone()
