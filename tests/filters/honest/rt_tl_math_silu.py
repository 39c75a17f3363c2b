"""Honest: SiLU with `from triton.language.math import exp` (a name imported from tl.math, the way some
projects write it) and `tl.math.fdiv`-free plain division, fp32.

PROBLEM silu (24x257); EXPECTED accepted on a GPU; the interpreter cannot call a tl.math function imported
by name, so on CPU it must be `unverified`, never rejected (or accepted once the interpreter learns it).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.math import exp

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def silu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    tl.store(y_ptr + offsets, x / (1.0 + exp(-x)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        silu_kernel[(triton.cdiv(x.numel(), 512),)](x, y, x.numel(), BLOCK_SIZE=512)
        return y
