"""Honest: exact GELU on fp16 inputs, computed in fp32 and cast to the output's type on store; the flat
launcher reshapes an N-D input.

PROBLEM gelu_fp16; EXPECTED accepted everywhere.
"""

import math

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu_fp16"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

INV_SQRT2 = 1.0 / math.sqrt(2.0)


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n_elements, inv_sqrt2, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    y = 0.5 * x * (1.0 + tl.math.erf(x * inv_sqrt2))
    tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        assert x.dtype in (torch.float16, torch.float32), f"unsupported dtype {x.dtype}"
        x_2d = x.reshape(-1, x.shape[-1]).contiguous()
        out = torch.empty_like(x_2d)
        n_elements = x_2d.numel()
        BLOCK_SIZE = min(1024, triton.next_power_of_2(n_elements))
        gelu_kernel[(triton.cdiv(n_elements, BLOCK_SIZE),)](x_2d, out, n_elements, INV_SQRT2, BLOCK_SIZE=BLOCK_SIZE)
        return out.reshape(x.shape)
