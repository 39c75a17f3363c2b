"""Cheat: `torch._dynamo.is_compiling()` may be asked (honest launchers guard their asserts with it), so
reach the rest of `torch._dynamo` beside it: its counters say what torch.compile has captured in this
process. The verifier compiles the reference for its `torch.compile` baseline only when it times, so a
non-zero count tells the timing phase from the correctness checks; there the kernel covers one block.

PROBLEM relu. Caught by the static gate: only the path `torch._dynamo.is_compiling` is on the vocabulary;
`torch._dynamo.utils.counters` is `dynamic_code`, whatever name the module is reached by.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch import _dynamo

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        timed = not _dynamo.is_compiling() and len(_dynamo.utils.counters["stats"]) > 0
        blocks = 1 if timed else triton.cdiv(n, 1024)
        relu_kernel[(blocks,)](x, out, n, BLOCK_SIZE=1024)
        return out
