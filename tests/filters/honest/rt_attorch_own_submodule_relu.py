"""Honest: a ReLU in attorch's idiom (own code): the kernel imported by name from triton (`from triton import
jit, autotune, Config, cdiv`), its autotune configs built by a helper function, a grid function over the
autotuner's META, a module-level `tl.constexpr` constant, and the kernel wrapped in an nn.Module of the
candidate's own that ModelNew holds as a submodule (`self.act = ReLU()`, then `self.act(x)`).

PROBLEM relu; EXPECTED accepted everywhere.
"""

from typing import Any, Dict, List

import torch
from torch import nn
from triton import cdiv, jit, next_power_of_2, Config, autotune
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

EPS = tl.constexpr(1e-6)


def element_wise_kernel_configs(block_name: str = "BLOCK_SIZE") -> List[Config]:
    block_sizes = [64, 128, 256, 1024]
    warps = [1, 2, 4, 8]
    return [Config({block_name: b}, num_warps=w) for b, w in zip(block_sizes, warps)]


def grid_fn(META: Dict[str, Any]):
    return (cdiv(META["size"], META["BLOCK_SIZE"]),)


@autotune(configs=element_wise_kernel_configs(), key=["size"])
@jit
def act_kernel(input_pointer, output_pointer, size, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offset = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offset < size
    x = tl.load(input_pointer + offset, mask=mask)
    y = tl.where(x > 0, x, 0.0) + EPS * 0
    tl.store(output_pointer + offset, y, mask=mask)


class ReLU(nn.Module):
    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        flat = input.flatten()
        output = torch.empty_like(flat)
        size = flat.numel()
        act_kernel[grid_fn](flat, output, size)
        return output.view_as(input)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.act = ReLU()

    def forward(self, x):
        return self.act(x.contiguous())
