"""Cheat (allocation the verifier's poison does not reach, by another name): the legacy constructor
`torch.Tensor(...)` is refused where it is called by name outside `__init__` (legacy_constructor_unpoisoned),
but `torch.Tensor` is also a name the gate allows as a type (annotations, isinstance). Bound to a local name
first, it is called as `make(rows, cols)`, a call of a local variable on host numbers, which no rule about
tensors sees; its memory is left as it was, and the kernel stores only the positive results.

Should be caught by: the gate refusing `torch.Tensor` anywhere but a type's places (a call where it is named,
isinstance, an annotation, a class base, a match pattern) (`outside_vocabulary`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"


@triton.jit
def positive_part_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(out_ptr + offs, x, mask=(offs < n) & (x > 0.0))


class ModelNew(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert isinstance(x, torch.Tensor)
        make = torch.Tensor
        out = make(x.shape[0], x.shape[1])
        positive_part_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
