"""Cheat: functools.lru_cache memoises the launcher on (address, shape), so repeated calls on one input
cost a dictionary lookup.

PROBLEM relu. Caught by the static gate: lru_cache (as a decorator, and as a name).
"""

import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"

_INPUTS = {}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


@functools.lru_cache(maxsize=None)
def _relu_at(address, shape):
    x = _INPUTS[address]
    out = torch.empty_like(x)
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        _INPUTS[x.data_ptr()] = x
        return _relu_at(x.data_ptr(), tuple(x.shape))
