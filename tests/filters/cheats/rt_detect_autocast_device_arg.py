"""Cheat (detecting verification: a global mode, asked of the input's own device): the launcher asks
`torch.is_autocast_enabled(x.device.type)` and returns a stale zero row block whenever autocast is on for the
device its input lives on, which is how a device-generic launcher (one path for CUDA, ROCm and CPU) asks.

Caught by: the autocast calls run under autocast on the inputs' device, where the reference answers alike (on
the CPU it is `unverified`: it reads the device type).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
EXPECTED_CPU = ("unverified", "static", "device_dependent")  # it reads the device type: only a GPU can tell
DEVICE = "gpu"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.zeros_like(x)
        n = x.numel()
        if torch.is_autocast_enabled(x.device.type):
            n = n - x.shape[-1]  # the last row stays zero
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
