"""Honest: Unsloth's kernels call triton.language functions through module-level aliases chosen once at
import (`triton_cast = tl.cast`, and `triton_tanh` bound to libdevice's or tl.math's tanh by Triton
version); a GPU kernel may call such a global, as the interpreter may. Exact (erf) GELU in fp32.

PROBLEM gelu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

triton_cast = tl.cast
triton_erf = tl.math.erf
INV_SQRT2 = tl.constexpr(0.7071067811865476)


@triton.jit
def _gelu_exact_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = triton_cast(tl.load(x_ptr + offsets, mask=mask, other=0.0), tl.float32)
    y = 0.5 * x * (1.0 + triton_erf(x * INV_SQRT2))
    tl.store(y_ptr + offsets, triton_cast(y, y_ptr.dtype.element_ty), mask=mask)


def gelu(x: torch.Tensor) -> torch.Tensor:
    x = x.contiguous()
    y = torch.empty_like(x)
    n_elements = x.numel()
    BLOCK_SIZE = 1024
    _gelu_exact_kernel[(triton.cdiv(n_elements, BLOCK_SIZE),)](x, y, n_elements, BLOCK_SIZE=BLOCK_SIZE)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return gelu(x)
