"""Honest: a dispatch table of kernels specialised per dtype, looked up by the input's dtype
(`{torch.float16: k16, torch.float32: k32}[x.dtype]`), as hand-specialised kernel libraries (bitsandbytes'
and FBGEMM's per-dtype launchers) pick one (own code).

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _relu_fp32_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, tl.where(x > 0.0, x, 0.0), mask=mask)


@triton.jit
def _relu_fp16_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
    tl.store(out_ptr + offsets, tl.where(x > 0.0, x, 0.0).to(tl.float16), mask=mask)


_RELU_KERNELS = {torch.float32: _relu_fp32_kernel, torch.float16: _relu_fp16_kernel}


def relu(x: torch.Tensor) -> torch.Tensor:
    kernel = _RELU_KERNELS[x.dtype]
    x = x.contiguous()
    out = torch.empty_like(x)
    n_elements = x.numel()
    kernel[(triton.cdiv(n_elements, 1024),)](x, out, n_elements, BLOCK_SIZE=1024)
    return out


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return relu(x)
