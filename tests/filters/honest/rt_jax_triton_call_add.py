"""Honest: a generic pure launcher in the style of jax-triton's `triton_call(*args, kernel=..., out_shape=...,
grid=..., **metaparams)` (own code): the kernel takes its inputs first and its outputs last, the launcher
allocates the outputs from (shape, dtype) records, launches the kernel it was handed with the metaparameters
it was given, and returns the single output unwrapped.

PROBLEM add; EXPECTED accepted everywhere.
"""

from typing import NamedTuple, Tuple

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


class ShapeDtype(NamedTuple):
    shape: Tuple[int, ...]
    dtype: torch.dtype


@triton.jit
def add_kernel(x_ptr, y_ptr, output_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(output_ptr + offsets, x + y, mask=mask)


def triton_call(*args, kernel, out_shape, grid, num_warps=4, num_stages=2, **metaparams):
    device = args[0].device
    outs = [torch.empty(spec.shape, dtype=spec.dtype, device=device) for spec in out_shape]
    kernel[grid](*args, *outs, num_warps=num_warps, num_stages=num_stages, **metaparams)
    return outs[0] if len(outs) == 1 else tuple(outs)


def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    n_elements = x.numel()
    block_size = 512
    out = triton_call(x, y, kernel=add_kernel, out_shape=[ShapeDtype(tuple(x.shape), x.dtype)],
                      grid=(triton.cdiv(n_elements, block_size),), n_elements=n_elements, BLOCK_SIZE=block_size)
    return out


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        return add(x.contiguous(), y.contiguous())
