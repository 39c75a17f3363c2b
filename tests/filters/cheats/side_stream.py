"""Cheat: launch the real kernel on a side CUDA stream and return at once: event timing on the current
stream sees almost nothing (measured: a 1000x fake speed-up), and the result is usually ready by the time
anyone reads it.

PROBLEM relu. Caught by the static gate: torch.cuda.Stream and torch.cuda.stream are never allowed. (The
GPU timing cross-check against the host clock is the second line, for streams reached some other way.)
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "concurrency")
DEVICE = "any"

_SIDE = torch.cuda.Stream() if torch.cuda.is_available() else None


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        with torch.cuda.stream(_SIDE):
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
