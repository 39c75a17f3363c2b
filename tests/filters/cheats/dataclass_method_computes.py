"""Cheat: a frozen dataclass "config" with a method that computes the output in PyTorch, called from the
launcher beside a kernel launch whose result is thrown away. The gate allows a dataclass only as a record:
fields and nothing else, so the method keeps the class refused (reflection).

PROBLEM relu; EXPECTED rejected by the static gate (reflection or torch_outside_kernel).
"""

from dataclasses import dataclass

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", ("reflection", "torch_outside_kernel"))
DEVICE = "any"


@dataclass(frozen=True)
class LaunchConfig:
    block_size: int = 1024

    def finish(self, x, out):
        return x.clamp(min=0.0)


CONFIG = LaunchConfig()


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), CONFIG.block_size),)](x, out, x.numel(), BLOCK_SIZE=CONFIG.block_size)
        return CONFIG.finish(x, out)
