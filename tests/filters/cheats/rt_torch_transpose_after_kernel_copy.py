"""Cheat (PyTorch doing the work through an allowed copy): a kernel copies the input, element for element,
into a fresh buffer, and the launcher returns `buf.t().contiguous()`. The transpose, the whole work of the
spec, is PyTorch's `aten.clone` of a transposed view; the recorder counts a copy of a buffer kernels made
in this call as the kernels' output (`Provenance.made_by_kernels`), and `cast_of_input` compares only
outputs of the input's shape (a transpose of a non-square matrix never has it).

Demonstration: the kernel alone (`copy_kernel`) returns the input unchanged; the transpose is `aten.clone`.

Should be caught by: a layout-changing copy (a permuted or transposed view made contiguous) of a kernel's
output that merely equals a permutation of an input on every call, as `cast_of_input` does for casts.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "transpose"
EXPECTED = ("rejected", "runtime", "output_not_from_kernel")
DEVICE = "any"


@triton.jit
def copy_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.load(x_ptr + offs, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        buf = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](x, buf, x.numel(), BLOCK=1024)
        return buf.t().contiguous()
