"""Honest: a generic elementwise launcher specialised with `functools.partial` at module level (the way
FlagGems' and attorch's helpers bind block sizes and activation flags into a launcher, own code), and the
partial called from forward.

PROBLEM silu; EXPECTED accepted everywhere.
"""

import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offsets, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


def _launch_elementwise(x, block_size, num_warps):
    x = x.contiguous()
    out = torch.empty_like(x)
    n_elements = x.numel()
    _silu_kernel[(triton.cdiv(n_elements, block_size),)](x, out, n_elements, BLOCK_SIZE=block_size,
                                                         num_warps=num_warps)
    return out


silu = functools.partial(_launch_elementwise, block_size=1024, num_warps=4)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return silu(x)
