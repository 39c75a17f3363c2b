"""Honest: exact GELU in the style of FlagGems: an autotuned elementwise kernel over the flattened tensor
(`triton.autotune` with `triton.Config`s keyed on the size, `triton.heuristics` with a lambda), `tl.erf`
inside, a `grid` lambda reading the chosen block size, and `torch.empty_like` for the output.

PROBLEM gelu; EXPECTED accepted everywhere.
"""

import math

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.autotune(
    configs=[triton.Config({"BLOCK_SIZE": 512}, num_warps=4), triton.Config({"BLOCK_SIZE": 1024}, num_warps=8)],
    key=["n_elements"],
)
@triton.heuristics({"EVEN": lambda args: args["n_elements"] % args["BLOCK_SIZE"] == 0})
@triton.jit
def gelu_none_kernel(x_ptr, y_ptr, n_elements, INV_SQRT2: tl.constexpr, BLOCK_SIZE: tl.constexpr,
                     EVEN: tl.constexpr):
    pid = tl.program_id(0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    if EVEN:
        x = tl.load(x_ptr + offsets).to(tl.float32)
    else:
        x = tl.load(x_ptr + offsets, mask=offsets < n_elements, other=0.0).to(tl.float32)
    y = 0.5 * x * (1.0 + tl.erf(x * INV_SQRT2))
    tl.store(y_ptr + offsets, y.to(y_ptr.dtype.element_ty), mask=offsets < n_elements)


def gelu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    out = torch.empty_like(x)
    n_elements = out.numel()
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
    gelu_none_kernel[grid](x, out, n_elements, INV_SQRT2=1.0 / math.sqrt(2.0))
    return out


class ModelNew(nn.Module):
    def forward(self, x):
        return gelu(x)
