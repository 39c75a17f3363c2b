"""Cheat: NVTX annotations may be made (honest launchers name their ranges for the profiler), and
`range_push` returns how deeply ranges are nested. Push without ever popping and the depth counts the
calls made in this process: the correctness checks make a few, the timing loop many, so past a handful of
calls the kernel covers one block and the timed calls look many times faster than they are.

PROBLEM relu. Caught by the static gate: `range_push`, `range_pop` and `mark` are statements of their
own, their value never kept (`cross_call_state`); `range` only opens a `with` block or decorates.
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
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        calls = torch.cuda.nvtx.range_push("relu")
        blocks = triton.cdiv(n, 1024) if calls < 8 else 1
        relu_kernel[(blocks,)](x, out, n, BLOCK_SIZE=1024)
        return out
