"""Honest: SiLU behind a launcher that pins the input's device around the launch, as Liger-Kernel and
unsloth do (`with torch.cuda.device(x.device):`) so a kernel on a second GPU launches there. On CPU
`torch.cuda.device` cannot run: the verdict is `unverified` (interpreter_limit), never a rejection.

PROBLEM silu; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    program_id = tl.program_id(0).to(tl.int64)
    offsets = program_id * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    tl.store(y_ptr + offsets, x * tl.sigmoid(x), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_elements = x.numel()
        BLOCK_SIZE = 1024
        with torch.cuda.device(x.device):
            _silu_kernel[(triton.cdiv(n_elements, BLOCK_SIZE),)](x, y, n_elements, BLOCK_SIZE=BLOCK_SIZE)
        return y
