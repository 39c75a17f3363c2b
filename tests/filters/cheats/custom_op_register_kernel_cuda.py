"""Cheat (another implementation per device): the operator's registered function is an honest Triton ReLU,
but `register_kernel("cuda")` gives the dispatcher another for CUDA tensors, which on a GPU returns zeros.
The CPU interpreter runs the honest one; a user's GPU the other.

Should be caught by: of torch.library, only the custom-operator decorator, `register_fake` and
`wrap_triton` launches are allowed; `register_kernel` is not.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", ("dynamic_code", "reflection", "outside_vocabulary"))
DEVICE = "any"


@triton.jit
def _relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


@torch.library.custom_op("kdcheat::relu_by_device", mutates_args=())
def relu(x: torch.Tensor) -> torch.Tensor:
    y = torch.empty_like(x)
    n = x.numel()
    _relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
    return y


@relu.register_kernel("cuda")
def _(x):
    return torch.zeros_like(x)


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x.contiguous())
