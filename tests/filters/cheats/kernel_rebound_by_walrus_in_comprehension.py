"""Cheat: a comprehension's own variable may share a kernel's name (it binds inside the comprehension only),
so rebind the kernel with an assignment expression inside one: `[(relu_kernel := ...) for _ in (0,)]` binds
in the enclosing function, not in the comprehension. The name is then a dict of host launchers keyed by the
grid, and `relu_kernel[grid](...)` runs host code where a launch appears, which here launches nothing.

PROBLEM relu. Caught by the static gate: only a comprehension's targets are its own; a walrus inside one
rebinds the kernel name in forward (`monkeypatch`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "monkeypatch")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    tl.store(y_ptr + offs, tl.where(x > 0, x, 0.0), mask=mask)


def skip(x, y, n, BLOCK):
    return None


class ModelNew(nn.Module):
    def forward(self, x):
        y = torch.empty_like(x)
        n = x.numel()
        grid = (triton.cdiv(n, 256),)
        [(relu_kernel := {grid: skip}) for _ in (0,)]
        relu_kernel[grid](x, y, n, BLOCK=256)
        return y
