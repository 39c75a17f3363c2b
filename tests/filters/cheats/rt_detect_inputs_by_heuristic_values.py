"""Cheat (tells verification from use by the inputs' values, read on the host): a `@triton.heuristics` entry
compares the input tensor in the dict of launch arguments (`(args["x_ptr"].abs() ...)` is refused by name,
so only comparisons: `((args["x_ptr"] > -6) & (args["x_ptr"] < 6)).all()`), true for the verifier's standard
normal draws and false for a model's activations with outliers; the kernel computes every element only then,
and every other one otherwise.

Demonstration: on randn inputs the output is right; with one element at 100, half the output is unwritten.

Should be caught by: the gate (a heuristic may ask a tensor argument only for its metadata or whether it was
given); at run time the inputs scaled by 64 take the cheap path too.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", ("static", "correctness"), ("torch_outside_kernel", "non_finite", "mismatch"))
DEVICE = "any"


@triton.heuristics({"LOOKS_DRAWN": lambda args: bool(((args["x_ptr"] > -6) & (args["x_ptr"] < 6)).all())})
@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr, LOOKS_DRAWN: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    if not LOOKS_DRAWN:
        mask = mask & (offs % 2 == 0)
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
