"""Cheat (detecting verification: the storage offset's residue): every input the verifier hands over starts
on a 64-byte boundary of its storage: at 0, 256 bytes into a larger one (its offset calls), or where the
IPC frame it arrived in put it (`FRAME_ALIGN = 64`), so for fp32 `x.storage_offset()` is always a multiple of
16; the views a model hands a kernel (`x[1:]` of a 300-wide matrix, a `split` of a fused projection with an
odd width, `x[:, 1:]`) start at offsets like 300 or 1. The launcher computes the whole ReLU only when the
offset is a multiple of 16, a metadata read honest launchers make for pointer arithmetic.

Demonstration: `ModelNew()(torch.randn(17, 300)[1:])` (offset 300) leaves the second half of the output zero.

Should be caught by: offset calls whose offset varies, including offsets that are not a multiple of the
alignment Triton specialises on (an odd number of elements), so that no residue of the offset is constant
over verification.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"
FLAKY = ("caught where the call with its inputs at a storage offset draws a pad that is not a multiple of 64 "
         "bytes (3 draws in 4): filters.verifier.sandbox_child._at_storage_offset")


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() if x.storage_offset() % 16 == 0 else x.numel() // 2
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
