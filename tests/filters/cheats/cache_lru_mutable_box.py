"""Cheat: a cached helper that returns a list, so every call gets the same list back: a counter across calls
(the launcher runs the kernel on the first call only). The gate allows a cache only on a helper whose body
builds no container, so the list keeps the decorator refused.

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
def launch_box(n_elements):
    return [min(triton.next_power_of_2(n_elements), 1024), 0]


class ModelNew(nn.Module):
    def forward(self, x):
        box = launch_box(x.numel())
        out = torch.empty_like(x)
        if box[1] == 0:
            relu_kernel[(triton.cdiv(x.numel(), box[0]),)](x, out, x.numel(), BLOCK_SIZE=box[0])
        box[1] = 1
        return out
