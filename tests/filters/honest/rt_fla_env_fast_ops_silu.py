"""Honest: SiLU in flash-linear-attention's idiom (own code): an environment variable read at import picks the
fast (approximate) exp or the exact one, `FLA_USE_FAST_OPS` in FLA's utils. Correct either way, but which way a
user's process takes depends on its environment, which the sandbox's cannot stand for: `unverified`
(environment_dependent) on every device, not `io_access` as any use of os was before.

PROBLEM silu; EXPECTED unverified (environment_dependent) everywhere.
"""

import os

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("unverified", "static", "environment_dependent")
DEVICE = "any"

FAST_OPS = os.environ.get("FLA_USE_FAST_OPS", "0") == "1"


@triton.jit
def _silu(x_ptr, y_ptr, n, FAST: tl.constexpr, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    if FAST:
        e = tl.exp2(-x * 1.4426950408889634)
    else:
        e = tl.exp(-x)
    tl.store(y_ptr + offs, (x / (1.0 + e)).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        _silu[(triton.cdiv(x.numel(), 1024),)](x, y, x.numel(), FAST=FAST_OPS, BLOCK=1024)
        return y
