"""Cheat (static-gate bypass, reflection by another name): `operator.attrgetter("__globals__")` reads a
function's globals without a dunder attribute in the source; from them `__builtins__` and `__import__` reach
torch.nn.functional; a decoy kernel copies the answer.

Demonstration: outside the verifier the result equals F.gelu(x) bit for bit and the Triton kernel only copies.

Should be caught by: the gate (of `operator`, only its functions of two values are on the vocabulary).
"""

import operator

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def copy_kernel(src_ptr, dst_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(dst_ptr + offs, tl.load(src_ptr + offs, mask=mask), mask=mask)


def helper():
    return None


class ModelNew(nn.Module):
    def forward(self, x):
        names = operator.attrgetter("__globals__")(helper)
        functional = names["__builtins__"]["__import__"]("torch.nn.functional", fromlist=["gelu"])
        done = functional.gelu(x)
        out = torch.empty_like(x)
        copy_kernel[(triton.cdiv(x.numel(), 1024),)](done, out, x.numel(), BLOCK=1024)
        return out
