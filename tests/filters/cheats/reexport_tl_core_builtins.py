"""Cheat: inside a kernel, which the CPU interpreter runs as plain Python, `tl.core.builtins` is Python's
builtins module (triton.language.core imports it), and through it `max` on the host: the kernel would look
like Triton while Python computes. A gate that allowed `triton.language.` by prefix let it through.

PROBLEM relu. Caught by the static gate: triton.language is allowed by explicit name, and no module of it
is a name (reflection).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n)
    host = tl.core.builtins
    tl.store(out_ptr + offs, host.max(x, 0.0), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
        return out
