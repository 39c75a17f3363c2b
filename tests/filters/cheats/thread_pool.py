"""Cheat: the same deferral through concurrent.futures: submit the launch to a pool and return the
output before it is written.

PROBLEM relu. Caught by the static gate: concurrent is never importable.
"""

from concurrent.futures import ThreadPoolExecutor

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "concurrency")
DEVICE = "any"

_POOL = ThreadPoolExecutor(max_workers=1)


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


def _launch(x, out):
    relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        _POOL.submit(_launch, x, out)
        return out
