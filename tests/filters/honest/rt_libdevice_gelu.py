"""Honest: exact GELU through libdevice, as FlagGems and vLLM write it (own code):
`from triton.language.extra import libdevice`, `libdevice.erf` on an fp32 upcast.

PROBLEM gelu; EXPECTED accepted on a GPU; on CPU accepted where the interpreter maps libdevice to its
own math, `unverified` (interpreter_limit) where it cannot, never rejected.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.extra import libdevice

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "runtime", "correctness"), "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def gelu_erf_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
    y = 0.5 * x * (1.0 + libdevice.erf(x * 0.7071067811865476))
    tl.store(y_ptr + offsets, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        gelu_erf_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK_SIZE=1024)
        return y
