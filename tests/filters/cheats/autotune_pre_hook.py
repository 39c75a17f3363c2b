"""Cheat: the autotuner calls a config's `pre_hook` with the kernel's arguments before each launch, so a
hook can compute the output in PyTorch from inside the launch. Its parameter is a dict the gate's tensor
inference does not type, and in-place methods off the computing list (`lerp_`, `clamp_`) read as harmless.

PROBLEM relu. Caught by the static gate: host code handed to the autotuner (pre_hook, post_hook, do_bench,
prune_configs_by) is refused, since the autotuner calls it with the kernel's tensors (reflection).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


def _fill(nargs):
    out = nargs["out_ptr"]
    out.lerp_(nargs["x_ptr"], 1.0)
    out.clamp_(min=0.0)


@triton.autotune(configs=[triton.Config({"BLOCK": 256}, pre_hook=_fill)], key=["n"])
@triton.jit
def touch_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        touch_kernel[lambda meta: (triton.cdiv(x.numel(), meta["BLOCK"]),)](x, out, x.numel())
        return out
