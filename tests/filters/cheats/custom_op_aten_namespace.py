"""Cheat (an operator in PyTorch's own namespace): the candidate registers its operator as `aten::...`, where a
recorder or a reader that trusts PyTorch's operators by namespace would take it for one of them.

Should be caught by: a custom operator's name is a literal outside PyTorch's namespaces.
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


@torch.library.custom_op("aten::kd_relu", mutates_args=())
def relu(x: torch.Tensor) -> torch.Tensor:
    y = torch.empty_like(x)
    n = x.numel()
    _relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x.contiguous())
