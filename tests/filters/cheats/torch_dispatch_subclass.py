"""Cheat: a wrapper tensor subclass with __torch_dispatch__, made with _make_wrapper_subclass: it
intercepts every aten op the harness applies to the output (comparison, copy to CPU) and answers from
the reference computation.

PROBLEM relu. Caught by the static gate: private torch API, dunder method, torch.Tensor base.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class Deferred(torch.Tensor):
    @staticmethod
    def __new__(cls, source):
        return torch.Tensor._make_wrapper_subclass(cls, source.shape, dtype=source.dtype, device=source.device)

    def __init__(self, source):
        self.source = source

    @classmethod
    def __torch_dispatch__(cls, func, types, args=(), kwargs=None):
        unwrapped = [torch.relu(a.source) if isinstance(a, Deferred) else a for a in args]
        return func(*unwrapped, **(kwargs or {}))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty_like(x)
        relu_kernel[(1,)](x, scratch, 1, BLOCK_SIZE=16)
        return Deferred(x)
