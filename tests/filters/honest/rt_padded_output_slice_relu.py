"""Honest: a ReLU whose launcher allocates its output padded to a whole number of blocks (so the kernel needs no
mask on its store, a common trick) and returns the leading slice, viewed in the input's shape: the output is a
view into a larger storage that only the kernel wrote.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

BLOCK = 1024


@triton.jit
def _relu_unmasked_store(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n = x.numel()
        blocks = triton.cdiv(n, BLOCK)
        padded = torch.empty(blocks * BLOCK, dtype=x.dtype, device=x.device)
        _relu_unmasked_store[(blocks,)](x, padded, n, BLOCK=BLOCK)
        return padded[:n].view(x.shape)
