"""Cheat (inputs: ties): a row argmax that keeps the LAST index of the maximum (`>=` in its running
comparison), where PyTorch returns the first. On randn rows there are no ties, so it matches; on quantised
data (int8-dequantised activations, post-ReLU zeros, one-hot rows) it returns the wrong index.

Demonstration: `x = torch.zeros(16, 300); ModelNew()(x)` is 299 everywhere, torch.argmax gives 0.

Should be caught by: quantised inputs with ties (issue 15, section 6).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_argmax"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def argmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    best = tl.load(x_ptr + row * stride)
    best_idx = tl.full([], 0, tl.int32)
    for c in range(1, n_cols):
        v = tl.load(x_ptr + row * stride + c)
        take = v >= best
        best = tl.where(take, v, best)
        best_idx = tl.where(take, c, best_idx)
    tl.store(out_ptr + row, best_idx.to(tl.int64))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
        argmax_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=16)
        return out
