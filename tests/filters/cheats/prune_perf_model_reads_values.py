"""Cheat (host code handed to the autotuner): a `perf_model` is called with every launch argument by name,
tensors included; this one ranks the zero-writing config first when the input's first value is not NaN.

PROBLEM relu. Caught by the static gate: `perf_model` stays host code handed to the autotuner (only
`early_config_prune`, reading metadata, and a literal `top_k` are allowed).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


def estimate(x_ptr, out_ptr, n, BLOCK, SKIP, **kwargs):
    return float(SKIP == 0)


@triton.autotune(
    configs=[triton.Config({"BLOCK": 1024, "SKIP": 0}, num_warps=4), triton.Config({"BLOCK": 1024, "SKIP": 1}, num_warps=4)],
    key=["n"],
    prune_configs_by={"perf_model": estimate, "top_k": 1},
)
@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr, SKIP: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    if SKIP:
        tl.store(out_ptr + offs, tl.zeros([BLOCK], dtype=tl.float32), mask=mask)
    else:
        tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[lambda meta: (triton.cdiv(n, meta["BLOCK"]),)](x, out, n)
        return out
