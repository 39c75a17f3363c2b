"""Honest: a fully annotated launcher, as typed codebases write them: `Final` block-size constants, a
`ClassVar` on the module, an `Annotated` parameter, a `TypeVar` for a helper generic in its argument.
Annotations compute nothing.

PROBLEM relu; EXPECTED accepted.
"""

from typing import Annotated, ClassVar, Final, Sequence, TypeVar

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

BLOCK_SIZE: Final = 1024
T = TypeVar("T")


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE contiguous elements per program; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def _first(items: Sequence[T]) -> T:
    return items[0]


def relu(x: Annotated[torch.Tensor, "contiguous after this call"]) -> torch.Tensor:
    assert _first(tuple(x.shape)) > 0, "empty leading dimension"
    x = x.contiguous()
    y = torch.empty_like(x)
    n_elements = x.numel()
    _relu_kernel[(triton.cdiv(n_elements, BLOCK_SIZE),)](x, y, n_elements, BLOCK_SIZE=BLOCK_SIZE)
    return y


class ModelNew(nn.Module):
    block_size: ClassVar[int] = BLOCK_SIZE

    def forward(self, x):
        return relu(x)
