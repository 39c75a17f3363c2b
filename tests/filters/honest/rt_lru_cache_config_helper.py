"""Honest: functools.lru_cache on a pure helper that maps a size to a block size (FlagGems' and vLLM's cached
config lookups, own code): its arguments and result are Python ints only, bounded by a module constant.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

MAX_BLOCK = 1024


@functools.lru_cache(maxsize=None)
def block_size_for(n_elements: int) -> int:
    return min(triton.next_power_of_2(n_elements), MAX_BLOCK)


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        block = block_size_for(x.numel())
        relu_kernel[(triton.cdiv(x.numel(), block),)](x, out, x.numel(), BLOCK_SIZE=block)
        return out
