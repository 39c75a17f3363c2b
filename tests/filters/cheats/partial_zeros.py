"""Cheat: partial computation over a zeroed buffer: every other element is computed and the rest stays 0,
which is right for about half of a ReLU's outputs anyway. NaN-poisoning does not help here (zeros_like).

PROBLEM relu_fp16. Caught at runtime: the skipped positive elements are far outside fp16's tolerance.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu_fp16"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def relu_even_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = 2 * (tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE))
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros_like(x)
        n = x.numel()
        relu_even_kernel[(triton.cdiv(n, 2 * 1024),)](x, out, n, BLOCK_SIZE=1024)
        return out
