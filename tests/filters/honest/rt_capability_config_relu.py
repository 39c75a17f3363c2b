"""Honest: a ReLU whose launcher picks its block size from the GPU's compute capability, as vLLM's and
FlashAttention's launchers do (own code). `torch.cuda.get_device_capability()` needs a GPU: on CPU the
candidate cannot be run as written, which says nothing about the kernel (`unverified`).

PROBLEM relu; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "correctness"), ("interpreter_limit", "device_dependent"))
DEVICE = "gpu"


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(y_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        major, _minor = torch.cuda.get_device_capability()
        block = 2048 if major >= 9 else 1024
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _relu_kernel[(triton.cdiv(n, block),)](x, y, n, BLOCK=block)
        return y
