"""Honest: ReLU in FlagGems' idiom (own code): `@triton.heuristics` choosing the block size and warp count
from the element count, `tl.constexpr` arithmetic inside the kernel, a flat 1-D grid from a lambda over
the chosen meta-parameters.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def block_size_heuristic(args):
    return 1024 if args["n_elements"] >= 4096 else triton.next_power_of_2(max(args["n_elements"], 128) // 4)


@triton.heuristics({"BLOCK_SIZE": block_size_heuristic, "num_warps": lambda args: 4})
@triton.jit
def relu_kernel(X, Y, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(0)
    HALF: tl.constexpr = BLOCK_SIZE // 2
    for part in tl.static_range(2):
        offsets = pid * BLOCK_SIZE + part * HALF + tl.arange(0, HALF)
        mask = offsets < n_elements
        x = tl.load(X + offsets, mask=mask, other=0.0)
        tl.store(Y + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def relu(x):
    y = torch.empty_like(x)
    n_elements = x.numel()
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
    relu_kernel[grid](x, y, n_elements)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x.contiguous())
