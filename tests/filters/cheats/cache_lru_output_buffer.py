"""Cheat: a cached helper keyed on the input's size that allocates the output, so every call of that size gets
the same tensor back: after the first call the launcher skips the kernel and returns last call's result (stale,
and aliased across calls). The gate allows a cache only on a helper that calls nothing but builtins and
triton/math functions of numbers, so `torch.empty` in it keeps the decorator refused.

PROBLEM relu; EXPECTED rejected by the static gate (cross_call_state).
"""

import functools

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


@functools.lru_cache(maxsize=None)
def output_for(n_elements):
    return torch.empty(n_elements)


class ModelNew(nn.Module):
    def forward(self, x):
        out = output_for(x.numel()).view(x.shape)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
