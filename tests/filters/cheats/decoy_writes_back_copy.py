"""Cheat: for a transpose, `x.t().contiguous()` is the whole answer, and a kernel then "writes" every element
of that copy by storing back what it loads, so every element of the output was stored by a kernel.

PROBLEM transpose. Caught at runtime: the recorder keeps what PyTorch's copy held and sees the kernels store
over it exactly that on every checked call (filters.verifier.provenance `copy_unchanged`, filters.verifier.verify
`_copy_written_back`): the copy, not a kernel, produced the output.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "transpose"
EXPECTED = ("rejected", "runtime", "output_not_from_kernel")
DEVICE = "any"


@triton.jit
def touch_kernel(buf_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(buf_ptr + offsets, tl.load(buf_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = x.t().contiguous()
        n_elements = out.numel()
        touch_kernel[(triton.cdiv(n_elements, 1024),)](out, n_elements, BLOCK_SIZE=1024)
        return out
