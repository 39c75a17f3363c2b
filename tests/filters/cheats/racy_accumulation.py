"""Cheat: a split reduction without atomics. Many programs per row each add their partial sum to the
output with a plain load and store (a read-modify-write race), skipping the cost of atomics or a second
pass. Programs that run one after another, as under the CPU interpreter, get the right answer; on a GPU,
concurrent programs lose each other's updates, differently from run to run.

PROBLEM row_sum_wide. Only a GPU catches it (mismatch, or two runs that disagree); under the interpreter
programs run sequentially and the answer is right, so no CPU verdict is promised.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum_wide"
EXPECTED = ("rejected", "correctness", {"mismatch", "nondeterministic"})
DEVICE = "gpu"


@triton.jit
def partial_sum_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    chunk = tl.program_id(1)
    cols = chunk * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    partial = tl.sum(tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0), axis=0)
    current = tl.load(out_ptr + row)
    tl.store(out_ptr + row, current + partial)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros(x.shape[0], device=x.device, dtype=torch.float32)
        BLOCK_SIZE = 64
        partial_sum_kernel[(x.shape[0], triton.cdiv(x.shape[1], BLOCK_SIZE))](x, out, x.shape[1], BLOCK_SIZE=BLOCK_SIZE)
        return out
