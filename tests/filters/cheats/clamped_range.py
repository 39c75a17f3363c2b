"""Cheat: assume the inputs stay in the range the verifier draws. A ReLU that clamps its input to
[-512, 512] first (as a kernel "guarding against overflow" might) is exact on randn and on randn scaled by
64 (|x| < 400 there), and wrong beyond.

PROBLEM relu. Caught at runtime on heavy-tailed inputs (magnitudes log-uniform up to 1e6 for fp32): many
values lie beyond 512. (A Cauchy draw, the earlier tail, left none beyond 512 in one verification of 20.)
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    x = tl.minimum(tl.maximum(x, -512.0), 512.0)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
