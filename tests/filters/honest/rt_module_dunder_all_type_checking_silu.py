"""Honest: a kernel module written in current library style (Triton-distributed's and lightning-thunder's
executor modules, own code): `from __future__ import annotations`, a module-level `__all__` naming the
public API, type-only imports under `if TYPE_CHECKING:`, `Union` hints, and the elementwise launch made on
`x.view(-1)` with the output reshaped back.

PROBLEM silu; EXPECTED accepted everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

import torch
import torch.nn as nn
import triton
import triton.language as tl

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["ModelNew", "silu"]

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offsets, (x / (1.0 + tl.exp(-x))).to(y_ptr.dtype.element_ty), mask=mask)


def silu(x: Tensor, block_size: int = 1024, num_warps: Union[int, None] = None) -> Tensor:
    flat = x.contiguous().view(-1)
    out = torch.empty_like(flat)
    n_elements = flat.numel()
    _silu_kernel[(triton.cdiv(n_elements, block_size),)](flat, out, n_elements, BLOCK_SIZE=block_size,
                                                         num_warps=num_warps or 4)
    return out.view(x.shape)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return silu(x)
