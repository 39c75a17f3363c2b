"""Honest: a SiLU whose wrapper falls back to PyTorch where the tensor is not on a GPU, as many kernel
libraries' entry points do (`if not x.is_cuda: return F.silu(x)`). On a GPU the Triton kernel does the
work; on the CPU interpreter the fallback would, so a CPU verdict says nothing about the kernel.

PROBLEM silu; EXPECTED unverified on cpu, accepted on cuda.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "correctness"), ("interpreter_limit", "device_dependent"))
DEVICE = "gpu"


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask).to(tl.float32)
    tl.store(y_ptr + offs, (x * tl.sigmoid(x)).to(y_ptr.dtype.element_ty), mask=mask)


def silu(x):
    if not x.is_cuda:
        return F.silu(x)
    x = x.contiguous()
    y = torch.empty_like(x)
    n = x.numel()
    _silu_kernel[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return silu(x)
