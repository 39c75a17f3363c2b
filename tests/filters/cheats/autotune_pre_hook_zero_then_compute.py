"""Cheat: a config `pre_hook` dressed as the split-K zeroing hook that then computes the output in PyTorch:
`nargs["out_ptr"].zero_()` followed by `add_` of the clamped input, while the kernel only touches its input.
The gate allows a pre_hook made only of `nargs["<name>"].zero_()` statements; the extra statement keeps it host
code handed to the autotuner (reflection), and `add_` outside a kernel is PyTorch doing the work
(torch_outside_kernel), whichever the gate names first.

PROBLEM relu; EXPECTED rejected by the static gate (reflection or torch_outside_kernel).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", ("reflection", "torch_outside_kernel"))
DEVICE = "any"


def _zero_output(nargs):
    """Looks like the accumulator reset."""
    nargs["out_ptr"].zero_()
    nargs["out_ptr"].add_(nargs["x_ptr"].clamp(min=0.0))


@triton.autotune(configs=[triton.Config({"BLOCK": 256}, pre_hook=_zero_output)], key=["n"])
@triton.jit
def touch_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[lambda meta: (triton.cdiv(x.numel(), meta["BLOCK"]),)](x, out, x.numel())
        return out
