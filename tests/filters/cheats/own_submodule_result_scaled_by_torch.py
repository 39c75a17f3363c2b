"""Cheat (PyTorch arithmetic on what an own submodule returns): ModelNew calls a Triton module of its own that
computes half the answer, then finishes it with Python arithmetic on the tensor it got back (`y * 2`), which
PyTorch computes. A gate whose type inference does not follow a tensor through a submodule call misses it.

Should be caught by: the type inference follows the submodule's forward, or at run time the provenance
recorder sees `aten.mul` computed in forward.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", ("static", "runtime"), ("torch_outside_kernel", "torch_compute"))
DEVICE = "any"


@triton.jit
def _half_relu(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(y_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0) * 0.5, mask=mask)


class HalfReLU(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        _half_relu[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.halver = HalfReLU()

    def forward(self, x):
        y = self.halver(x.contiguous())
        return y * 2
