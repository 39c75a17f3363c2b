"""Honest: row softmax in the style of the Triton tutorials, with `from triton.language.math import exp2`
and `math.log2(math.e)` (exp through exp2), warps picked from the block size, the block size computed with a
method on a Python int (`(n - 1).bit_length()`) rather than a helper, and typing annotations. The Triton
3.9 interpreter swaps triton.language's functions on the module when it runs a kernel, so a function imported
by name (`exp2` here) still raises under it: on CPU this is unverified, never rejected.

PROBLEM softmax; EXPECTED accepted on a GPU, EXPECTED_CPU unverified (interpreter_limit).
"""

import math
from typing import Optional

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.math import exp2

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

LOG2E = math.log2(math.e)


@triton.jit
def softmax_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_cols, LOG2E: tl.constexpr,
                   BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    row = tl.load(input_ptr + row_idx * input_row_stride + col_offsets, mask=mask, other=-float("inf"))
    row_minus_max = row - tl.max(row, axis=0)
    numerator = exp2(row_minus_max * LOG2E)
    denominator = tl.sum(numerator, axis=0)
    tl.store(output_ptr + row_idx * output_row_stride + col_offsets, numerator / denominator, mask=mask)


def softmax(x: torch.Tensor, out: Optional[torch.Tensor] = None) -> torch.Tensor:
    n_rows, n_cols = x.shape
    BLOCK_SIZE = 1 << (n_cols - 1).bit_length()
    num_warps = 8 if BLOCK_SIZE >= 2048 else 4
    y = torch.empty_like(x) if out is None else out
    softmax_kernel[(n_rows,)](y, x, x.stride(0), y.stride(0), n_cols, LOG2E=LOG2E, BLOCK_SIZE=BLOCK_SIZE,
                              num_warps=num_warps)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return softmax(x.contiguous())
