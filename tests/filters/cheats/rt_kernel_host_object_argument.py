"""Cheat (an argument only the interpreter takes): a kernel handed a host dict reads a scale from it. Under
the interpreter a kernel argument can be any Python object, so the kernel runs and matches; on a GPU the
launcher refuses a dict, and a kernel reading host objects could keep state or read what no GPU kernel can.

PROBLEM relu. Caught at runtime: the child's launch hook refuses any kernel argument that is not a tensor,
number, string, None, dtype, constexpr, jit function, tensor descriptor or tuple of them (runtime_error).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "runtime", "runtime_error")
DEVICE = "any"

TABLE = {"scale": 1.0}


@triton.jit
def relu_kernel(x_ptr, out_ptr, table, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0) * table["scale"], mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, TABLE, n, BLOCK=1024)
        return out
