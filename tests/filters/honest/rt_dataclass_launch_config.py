"""Honest: block sizes held in a frozen @dataclass config (torchao's and Triton-distributed's launch configs,
own code): built once at module level, read by the launcher, never written.

PROBLEM relu; EXPECTED accepted everywhere.
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@dataclass(frozen=True)
class LaunchConfig:
    block_size: int = 1024
    num_warps: int = 4


CONFIG = LaunchConfig()


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
        grid = lambda META: (triton.cdiv(x.numel(), META["BLOCK_SIZE"]),)  # noqa: E731
        relu_kernel[grid](x, out, x.numel(), BLOCK_SIZE=CONFIG.block_size, num_warps=CONFIG.num_warps)
        return out
