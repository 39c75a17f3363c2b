"""Honest: SiLU with a fixed grid of programs that sweeps the tensor (grid-stride loop), fp32.

PROBLEM silu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def silu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    num_programs = tl.num_programs(axis=0)
    # each program handles every num_programs-th block
    for block_start in range(pid * BLOCK_SIZE, n_elements, num_programs * BLOCK_SIZE):
        offsets = block_start + tl.arange(0, BLOCK_SIZE)
        mask = offsets < n_elements
        x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
        # SiLU(x) = x * sigmoid(x)
        y = x * tl.sigmoid(x)
        tl.store(out_ptr + offsets, y.to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    """SiLU applied elementwise by a persistent Triton kernel."""

    def __init__(self, max_programs: int = 4):
        super().__init__()
        self.max_programs = max_programs

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n_elements = out.numel()
        BLOCK_SIZE = 256
        num_programs = min(triton.cdiv(n_elements, BLOCK_SIZE), self.max_programs)
        silu_kernel[(num_programs,)](x, out, n_elements, BLOCK_SIZE=BLOCK_SIZE)
        return out
