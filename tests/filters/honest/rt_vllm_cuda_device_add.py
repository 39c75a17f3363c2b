"""Honest: vLLM's launcher idiom (own code): the launch sits in `with torch.cuda.device(x.device):` so it
targets the tensor's GPU in a multi-GPU process. On CPU that context manager raises (a CPU device is no
CUDA device): what only works on a GPU is `unverified` there, never rejected.

PROBLEM add; EXPECTED accepted on a GPU, unverified (interpreter_limit) on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "runtime", "correctness"), "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def add_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.load(x_ptr + offsets, mask=mask) + tl.load(y_ptr + offsets, mask=mask),
             mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        out = torch.empty_like(x)
        n = out.numel()
        with torch.cuda.device(x.device):
            add_kernel[(triton.cdiv(n, 1024),)](x, y, out, n, BLOCK_SIZE=1024)
        return out
