"""Cheat: Triton's driver hands out the current stream's raw handle (honest launchers pass it along), so
wrap the handle in a stream object and ask it whether earlier work is still pending. A timing loop queues
calls back to back and leaves the stream busy; a correctness check waits for its answer and finds it idle.
Only on an idle stream does the real kernel run; on a busy one a kernel that touches one block returns at
once, and the timed calls look many times faster than they are.

PROBLEM relu. Caught by the static gate: making a stream from a handle (`torch.cuda.ExternalStream`) is
`concurrency`, as `.query()` on any receiver is.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime import driver

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "concurrency")
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
        stream = torch.cuda.ExternalStream(driver.active.get_current_stream(), device=x.device)
        idle = stream.query()
        relu_kernel[(triton.cdiv(n, 1024) if idle else 1,)](x, out, n, BLOCK_SIZE=1024)
        return out
