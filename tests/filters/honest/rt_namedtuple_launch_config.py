"""Honest: a typing.NamedTuple of block sizes returned by a pure helper (vLLM's and bitsandbytes' config
tuples, own code).

PROBLEM relu; EXPECTED accepted everywhere.
"""

from typing import NamedTuple

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


class BlockConfig(NamedTuple):
    block_size: int
    num_warps: int


def pick_config(n_elements: int) -> BlockConfig:
    """A bigger block for bigger inputs; depends on the size only."""
    return BlockConfig(1024, 4) if n_elements >= 4096 else BlockConfig(256, 2)


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
        cfg = pick_config(x.numel())
        relu_kernel[(triton.cdiv(x.numel(), cfg.block_size),)](x, out, x.numel(), BLOCK_SIZE=cfg.block_size,
                                                              num_warps=cfg.num_warps)
        return out
