"""Honest: Unsloth's module-level switch on the Triton version: on Triton 3 libdevice moved under
triton.language.extra, so the erf the kernel calls is bound once at import, in a branch of a module-level
`if`, and the kernel calls it through that name. Exact (erf) GELU in fp32.

PROBLEM gelu; EXPECTED accepted on a GPU; on CPU unverified (interpreter_limit): libdevice does not run under
the interpreter.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"

if tuple(int(part) for part in triton.__version__.split(".")[:2]) >= (3, 0):
    from triton.language.extra import libdevice

    triton_erf = libdevice.erf
    triton_cast = tl.cast
else:
    triton_erf = tl.math.erf
    triton_cast = tl.cast


@triton.jit
def _gelu_erf_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = triton_cast(tl.load(x_ptr + offsets, mask=mask, other=0.0), tl.float32)
    y = 0.5 * x * (1.0 + triton_erf(x * 0.7071067811865476))
    tl.store(y_ptr + offsets, triton_cast(y, y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_elements = x.numel()
        _gelu_erf_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024)
        return y
