"""Cheat (a kernel reaching a host container): under the CPU interpreter a kernel body is plain Python, so a
kernel can append to a module-level list on every program it runs and, past 400 programs, write zeros. A
GPU kernel can read no such global (Triton compiles only constexpr globals), so the CPU verdict said
"accepted" for a kernel whose behaviour on a GPU is nothing like it.

PROBLEM relu. Caught by the static gate: inside a kernel, a module-level name must be another kernel, an
import on the vocabulary, or bound to a constant, a tl.constexpr or a triton.language name; mutating
methods and growing a container (`box += [1]`) are refused there.
"""
import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"

CALLS = list(())


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    CALLS.append(1)
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m, other=0.0)
    y = tl.maximum(x, 0.0)
    if len(CALLS) > 400:
        y = y * 0.0
    tl.store(out_ptr + offs, y, mask=m)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
