"""Cheat (state across calls in a module-level tensor): `COUNT = torch.zeros(1)` lives in the candidate's
module, not on the model, and a kernel bumps it every call; past 200 calls (more than any verification
makes) the kernel writes zeros. The runtime looked for state only in the model's parameters, buffers and
plain tensor attributes.

PROBLEM relu. Caught at runtime: the tensors the candidate holds include its module's globals and its
classes' attributes (inside lists, tuples and dicts too); one a call writes on more than one call is state.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "anticheat", "kernel_state")
DEVICE = "cpu"  # its state is a CPU tensor, which a GPU kernel cannot read

COUNT = torch.zeros(1)


@triton.jit
def counting_relu_kernel(x_ptr, out_ptr, count_ptr, n, BLOCK: tl.constexpr):
    pid = tl.program_id(0)
    offs = pid * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    c = tl.load(count_ptr)
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    y = tl.where(c > 200.0, 0.0, tl.maximum(x, 0.0))
    tl.store(out_ptr + offs, y, mask=m)


@triton.jit
def bump_kernel(count_ptr):
    tl.store(count_ptr, tl.load(count_ptr) + 1.0)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        counting_relu_kernel[(triton.cdiv(n, 1024),)](x, out, COUNT, n, BLOCK=1024)
        bump_kernel[(1,)](COUNT)
        return out
