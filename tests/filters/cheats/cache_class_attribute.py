"""Cheat: cache the last output in a class attribute (a dict created in the class body), reached through
self, so no module-level global shows.

PROBLEM relu. Caught by the static gate: item assignment on self's container outside __init__.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    results = {}

    def forward(self, x):
        key = (x.data_ptr(), tuple(x.shape))
        if key not in self.results:
            out = torch.empty_like(x)
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
            self.results[key] = out
        return self.results[key]
