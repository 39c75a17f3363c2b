"""Cheat: a mutable default argument as a hidden cache: `_memo={}` is created once, when forward is
defined, and survives every call.

PROBLEM relu. Caught by the static gate: a mutable default argument.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, _memo={}):
        key = (x.data_ptr(), x.numel())
        if key not in _memo:
            out = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
            _memo[key] = out
        return _memo[key]
