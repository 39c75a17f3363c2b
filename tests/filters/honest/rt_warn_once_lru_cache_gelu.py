"""Honest: a launcher that warns once through a parameterless `functools.lru_cache`d helper (the warn-once
idiom of transformers' `warning_once` and of kernel libraries' fallback notices, own code) when the input's
size is not a multiple of the block and the last program runs masked.

PROBLEM gelu; EXPECTED accepted everywhere.
"""

import functools
import warnings

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

BLOCK_SIZE = 1024


@functools.lru_cache(None)
def _warn_masked_tail_once() -> None:
    warnings.warn("gelu: size is not a multiple of the block; the last program runs masked", UserWarning,
                  stacklevel=2)


@triton.jit
def _gelu_kernel(x_ptr, y_ptr, n_elements, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    y = 0.5 * x * (1.0 + tl.erf(x * 0.7071067811865476))
    tl.store(y_ptr + offsets, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_elements = x.numel()
        if n_elements % BLOCK_SIZE:
            _warn_masked_tail_once()
        _gelu_kernel[(triton.cdiv(n_elements, BLOCK_SIZE),)](x, y, n_elements, BLOCK=BLOCK_SIZE)
        return y
