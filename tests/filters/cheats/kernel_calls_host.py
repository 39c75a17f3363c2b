"""Cheat: a "kernel" that calls a plain Python function. Under the CPU interpreter, kernel bodies run as
Python, so the helper runs and can do anything with numpy-backed values; on a GPU it would not even
compile. A CPU verdict of accepted would put an uncompilable kernel in the data.

PROBLEM relu. Caught by the static gate: a kernel calling a host function.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"


def _host_relu(values):
    return tl.where(values > 0, values, 0.0)


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(out_ptr + offsets, _host_relu(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
