"""Cheat (a benchmark declaration as a hiding place): a function decorated like the Triton tutorials'
benchmark (`@triton.testing.perf_report(...)`), which the gate leaves unchecked only while nothing names it,
computes the answer with PyTorch; forward reaches it through the declaration's object (`benchmark.fn`).

Should be caught by: a declaration anything names is live code, checked like any other (`torch.softmax` in
its body is PyTorch doing the work).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", ("outside_vocabulary", "torch_outside_kernel"))
DEVICE = "any"


@triton.jit
def _touch(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


@triton.testing.perf_report(triton.testing.Benchmark(
    x_names=["N"], x_vals=[256], line_arg="provider", line_vals=["torch"], line_names=["Torch"],
    plot_name="softmax", args={}))
def benchmark(x, provider="torch"):
    return torch.softmax(x, dim=-1)


class ModelNew(nn.Module):
    def forward(self, x):
        _touch[(1,)](x, x.numel(), BLOCK=128)
        return benchmark.fn(x)
