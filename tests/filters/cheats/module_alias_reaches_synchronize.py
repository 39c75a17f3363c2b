"""Cheat: FlagGems binds its device module once (`torch_device_fn = torch.cuda`) and the gate reads the alias
as the module, so use the alias to reach what the vocabulary keeps off: `torch_device_fn.synchronize()`
after the launch, which waits for work in flight (a timer around the call then measures the kernel's whole
run, a correctness check nothing: the candidate could tell them apart by how long the wait took).

PROBLEM relu. Caught by the static gate: the alias is `torch.cuda` wherever it is used, so
`torch.cuda.synchronize` is refused by its full path (`concurrency`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "concurrency")
DEVICE = "any"

torch_device_fn = torch.cuda


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.where(x > 0, x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 256),)](x, y, n, BLOCK=256)
        torch_device_fn.synchronize()
        return y
