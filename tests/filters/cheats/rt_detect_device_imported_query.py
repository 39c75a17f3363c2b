"""Cheat (detecting verification: a device query by an imported name): `from torch.cuda import
is_available` and branch on it. Under the CPU interpreter (where a CPU verification runs) CUDA is not
available and every element is computed; on a GPU, where it is used and timed, only the first block is.

Should be caught by: on CPU, `unverified` for code whose behaviour depends on the device (the gate read
device queries only by their full path, `torch.cuda.is_available()`, and accepted this on CPU); on a GPU,
the correctness check.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.cuda import is_available

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
        blocks = 1 if is_available() else triton.cdiv(n, 1024)
        relu_kernel[(blocks,)](x, out, n, BLOCK_SIZE=1024)
        return out
