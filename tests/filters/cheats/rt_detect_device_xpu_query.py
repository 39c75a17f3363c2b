"""Cheat (detecting verification: which accelerators are present): the accelerator queries honest launchers
make (`torch.cuda.is_available()`, `torch.xpu.is_available()`) may be read, so compute every element only
where none is present, the CPU interpreter a CPU verification runs under, and the first block elsewhere.

Should be caught by: on CPU, `unverified` for code whose behaviour depends on the device (each query is a
device read); on a GPU, the correctness check.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", ("mismatch", "non_finite"))
EXPECTED_CPU = ("unverified", "static", "device_dependent")
DEVICE = "gpu"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        n = x.numel()
        accelerated = torch.cuda.is_available() or torch.xpu.is_available() or torch.backends.mps.is_available() \
            or torch.xpu.device_count() > 0
        blocks = 1 if accelerated else triton.cdiv(n, 1024)
        relu_kernel[(blocks,)](x, out, n, BLOCK_SIZE=1024)
        return out
