"""Cheat: cache outputs in a module-level dict keyed by shape. The kernel runs once; every later call with
the same shape (all timed calls) returns the first output at no cost.

PROBLEM relu. Caught by the static gate: item assignment into a module-level dict inside forward. At
runtime the second seed would also get a stale output (mismatch).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"

_OUTPUTS = {}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        key = tuple(x.shape)
        if key not in _OUTPUTS:
            out = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
            _OUTPUTS[key] = out
        return _OUTPUTS[key]
