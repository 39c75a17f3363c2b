"""Honest: SiLU written with flash-linear-attention's `fla/ops/utils/op.py` idiom (own code): module-level names
picked among device functions at import (`div = div_normal`, `exp = tl.exp`) and called inside the kernel,
which Triton's compiler resolves as the jit function or builtin they are bound to. (FLA picks libdevice's fast
variants by an environment variable, which the gate refuses: a candidate's environment is not the user's.)

PROBLEM silu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def div_normal(x, y):
    return x / y


div = div_normal
exp = tl.exp


@triton.jit
def safe_exp(x):
    return exp(tl.where(x <= 0, x, float("-inf")))


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0).to(tl.float32)
    # sigmoid without overflow: exp of a non-positive number only
    e = safe_exp(-tl.abs(x))
    sig = tl.where(x >= 0, div(1.0, 1.0 + e), div(e, 1.0 + e))
    tl.store(y_ptr + offs, (x * sig).to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
