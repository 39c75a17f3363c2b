"""Honest: a ReLU whose kernel has a short name (`k`) and whose launcher also uses `k` as a dict
comprehension's variable, picking the launch options out of a config dict (`{k: v for k, v in ...}`). A
comprehension's variables are its own in Python 3: the kernel is not rebound.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

LAUNCH_CONFIG = {"BLOCK": 256, "num_warps": 4, "tag": "relu"}


@triton.jit
def k(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    # one block of BLOCK elements per program, masked at the tail
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.where(x > 0, x, 0.0), mask=mask)


def relu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    n = x.numel()
    options = {k: v for k, v in LAUNCH_CONFIG.items() if k.islower() and k != "tag" or k == "BLOCK"}
    names = sorted(k for k in options)
    assert names == ["BLOCK", "num_warps"]
    k[(triton.cdiv(n, options["BLOCK"]),)](x, y, n, **options)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
