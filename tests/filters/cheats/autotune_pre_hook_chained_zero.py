"""Cheat: a one-line config `pre_hook` lambda that zeroes the output and chains PyTorch work onto it
(`nargs["out_ptr"].zero_().add_(...)`), computing relu on the host before a kernel that does nothing. The gate
allows a lambda whose body is exactly `nargs["<name>"].zero_()`; the chained call keeps it refused (reflection).

PROBLEM relu; EXPECTED rejected by the static gate (reflection).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.autotune(configs=[triton.Config(
    {"BLOCK": 256}, pre_hook=lambda nargs: nargs["out_ptr"].zero_().add_(nargs["x_ptr"].clamp(min=0.0)))],
    key=["n"])
@triton.jit
def touch_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[lambda meta: (triton.cdiv(x.numel(), meta["BLOCK"]),)](x, out, x.numel())
        return out
