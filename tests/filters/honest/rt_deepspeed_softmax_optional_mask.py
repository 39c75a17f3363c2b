"""Honest: a row softmax as DeepSpeed's inference Triton ops write it (deepspeed/ops/transformer/inference/
triton, own code): the launcher takes an optional additive mask, views the input as rows, and passes the
mask pointer straight through even when it is None, the kernel branching on a `HAS_MASK: tl.constexpr`;
the row is computed in fp32 and cast back to the output's element type.

PROBLEM softmax; EXPECTED accepted everywhere.
"""

from typing import Optional

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def softmax_kernel(output_ptr, input_ptr, mask_ptr, stride, n_cols, HAS_MASK: tl.constexpr,
                   BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0)
    row_start_ptr = input_ptr + row_idx * stride
    col_offsets = tl.arange(0, BLOCK_SIZE)
    input_ptrs = row_start_ptr + col_offsets
    row = tl.load(input_ptrs, mask=col_offsets < n_cols, other=-float("inf")).to(tl.float32)
    if HAS_MASK:
        row += tl.load(mask_ptr + row_idx * stride + col_offsets, mask=col_offsets < n_cols, other=0.0)
    row_minus_max = row - tl.max(row, axis=0)
    numerator = tl.exp(row_minus_max)
    denominator = tl.sum(numerator, axis=0)
    softmax_output = numerator / denominator
    output_row_start_ptr = output_ptr + row_idx * stride
    tl.store(output_row_start_ptr + col_offsets, softmax_output.to(output_ptr.dtype.element_ty),
             mask=col_offsets < n_cols)


def softmax(input: torch.Tensor, mask: Optional[torch.Tensor] = None, dim: int = -1) -> torch.Tensor:
    assert input.is_contiguous()
    assert dim == -1 or dim == len(input.shape) - 1, "Only dim=-1 is supported"
    input_arg = input.view(-1, input.shape[-1])
    n_rows, n_cols = input_arg.shape
    BLOCK_SIZE = max(triton.next_power_of_2(n_cols), 2)
    num_warps = 4
    if BLOCK_SIZE >= 2048:
        num_warps = 8
    if BLOCK_SIZE >= 4096:
        num_warps = 16
    output = torch.empty_like(input_arg)
    softmax_kernel[(n_rows,)](output, input_arg, mask, input_arg.stride(0), n_cols, HAS_MASK=mask is not None,
                              BLOCK_SIZE=BLOCK_SIZE, num_warps=num_warps)
    return output.view(input.shape)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return softmax(x.contiguous())
