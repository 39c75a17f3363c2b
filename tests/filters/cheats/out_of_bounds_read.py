"""Cheat: skip the masks to save instructions. Each row is read as one power-of-two block (512 lanes for
300 columns) with no mask, so each sum takes in the next row's data and, for the last rows, whatever lies
past the end of the tensor: garbage that can differ from run to run.

PROBLEM row_sum. Caught at runtime by the tolerance check (or as non-finite, non-deterministic or a
crash, depending on what lies past the end).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", {"correctness", "sandbox"}, {"mismatch", "non_finite", "nondeterministic", "crashed"})
DEVICE = "any"


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    x = tl.load(x_ptr + row * n_cols + tl.arange(0, BLOCK_SIZE))
    tl.store(out_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], device=x.device, dtype=x.dtype)
        row_sum_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return out
