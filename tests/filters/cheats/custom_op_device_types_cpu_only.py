"""Cheat (an operator only some devices have): the custom operator is registered for CPU tensors only
(`device_types="cpu"`). A checker that runs the operator's function itself, bypassing the dispatcher,
accepts it; in a user's process on a GPU the dispatcher finds no kernel for CUDA tensors and fails.

Should be caught by: the decorator takes `mutates_args` and nothing else, so the function serves every
device as the dispatcher sees it.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"


@triton.jit
def _relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


@torch.library.custom_op("kdcheat::relu_cpu_only", mutates_args=(), device_types="cpu")
def relu(x: torch.Tensor) -> torch.Tensor:
    y = torch.empty_like(x)
    n = x.numel()
    _relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x.contiguous())
