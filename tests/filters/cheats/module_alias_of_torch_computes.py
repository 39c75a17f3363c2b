"""Cheat: a module-level alias of an allowed module is read as that module, so alias torch itself
(`T = torch`) and compute the output with `T.nn.functional.gelu`, hoping the gate checks it as a name of
the candidate's rather than as torch's. The kernel runs as a decoy.

PROBLEM gelu (any elementwise problem does). Caught by the static gate: the call is `torch.nn.functional.gelu`, off
the vocabulary (`torch_outside_kernel`), exactly as `import torch as T` would make it.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"

T = torch


@triton.jit
def copy_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.store(y_ptr + offs, tl.load(x_ptr + offs, mask=offs < n), mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        y = T.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 256),)](x, y, x.numel(), BLOCK=256)
        return T.nn.functional.gelu(y)
