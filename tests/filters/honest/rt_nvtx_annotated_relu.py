"""Honest: a launcher that names its work for the profiler with NVTX ranges, as libraries instrumented for
Nsight Systems do: a `with torch.cuda.nvtx.range(...)` block around the launch, and a push/pop pair around
the host-side preparation. The annotations compute nothing and keep nothing. Only a CUDA build of PyTorch
has NVTX, so under the CPU interpreter the verdict is `unverified` (interpreter_limit), never a rejection.

PROBLEM relu; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.cuda import nvtx

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE contiguous elements per program; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def relu(x: torch.Tensor) -> torch.Tensor:
    torch.cuda.nvtx.range_push("relu: prepare")
    x = x.contiguous()
    y = torch.empty_like(x)
    n_elements = x.numel()
    torch.cuda.nvtx.range_pop()
    with nvtx.range(f"relu kernel ({n_elements} elements)"):
        _relu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
