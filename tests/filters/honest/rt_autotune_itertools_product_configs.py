"""Honest: autotune configs built as the cartesian product of block sizes and warp counts with
`itertools.product`, drained by the list comprehension that makes them (torchao's and vLLM's tuning tables
are written so), keyed on the element count.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import itertools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

CONFIGS = [triton.Config({"BLOCK_SIZE": block}, num_warps=warps)
           for block, warps in itertools.product([256, 1024], [4, 8])]


@triton.autotune(configs=CONFIGS, key=["n_elements"])
@triton.jit
def relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_elements = x.numel()
        relu_kernel[lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)](x, y, n_elements)
        return y
