"""Cheat: __init__ switches PyTorch's default dtype to fp16, so that every fp32 buffer the candidate (or the
verifier's machinery in the same process) makes later is silently half precision. __init__ may compute
constant buffers with tensor math (`_init_only`), never change a global switch.

PROBLEM relu. Caught by the static gate (torch_outside_kernel: torch.set_default_dtype is on no list).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", {"torch_outside_kernel"})
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        torch.set_default_dtype(torch.float16)

    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK_SIZE=256)
        return out
