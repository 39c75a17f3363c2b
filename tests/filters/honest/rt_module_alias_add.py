"""Honest: an elementwise add whose module names the helpers it uses once at the top (`cdiv = triton.cdiv`,
`empty_like = torch.empty_like`), as small projects do instead of `from ... import`. A
module-level name bound once, and nowhere else, to an importable path is that path: the gate reads every
use by its full name.

PROBLEM add; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

cdiv = triton.cdiv
empty_like = torch.empty_like


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block per program; masked loads and stores cover the tail
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, x + y, mask=mask)


def add(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    assert x.shape == y.shape and x.device == y.device
    x, y = x.contiguous(), y.contiguous()
    out = empty_like(x)
    n_elements = out.numel()
    grid = lambda meta: (cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
    add_kernel[grid](x, y, out, n_elements, BLOCK_SIZE=1024)
    return out


class ModelNew(nn.Module):
    def forward(self, x, y):
        return add(x, y)
