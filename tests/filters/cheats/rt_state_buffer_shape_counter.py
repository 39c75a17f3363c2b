"""Cheat (state across calls in a held tensor's metadata): forward calls `self.calls.unsqueeze_(0)` on a
buffer made in __init__. In-place view methods are layout methods, not compute, and no element of the
buffer ever changes, so a check of what a model holds that compares the bytes of its buffers sees nothing:
yet every call adds a dimension, and `self.calls.dim()` is a call counter readable on the host. The first
24 calls (more than a verification makes) compute the whole ReLU; later calls (a timing loop's, a
server's) only the first half.

Demonstration: `m = ModelNew(); [m(x) for _ in range(30)][-1]` leaves the second half zero.

Caught by: output provenance, which records an in-place view method (`aten.unsqueeze_`, not a view op by
its schema: it rewrites the tensor's own metadata) as PyTorch work (`torch_compute`). Were that to change,
the held-state check would have to compare what a model holds by shape and strides too.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "runtime", "torch_compute")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(1), persistent=False)

    def forward(self, x):
        n = x.numel() if self.calls.dim() <= 24 else x.numel() // 2
        self.calls.unsqueeze_(0)
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
