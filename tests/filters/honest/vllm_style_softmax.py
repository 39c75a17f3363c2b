"""Honest: row softmax in the style of vLLM's Triton kernels: a persistent kernel whose grid is sized from
the GPU's multiprocessor count (`triton.runtime.driver.active.utils.get_device_properties`), rows looped
with `tl.range`, launched under `with torch.cuda.device(x.device):`. Those launcher calls only work on a GPU,
so on CPU it is unverified, never rejected.

PROBLEM softmax; EXPECTED accepted on a GPU, EXPECTED_CPU unverified (interpreter_limit).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def softmax_persistent_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_rows, n_cols,
                              BLOCK_SIZE: tl.constexpr):
    row_start = tl.program_id(0)
    row_step = tl.num_programs(0)
    for row_idx in tl.range(row_start, n_rows, row_step):
        col_offsets = tl.arange(0, BLOCK_SIZE)
        mask = col_offsets < n_cols
        row = tl.load(input_ptr + row_idx * input_row_stride + col_offsets, mask=mask, other=-float("inf"))
        row_minus_max = row - tl.max(row, axis=0)
        numerator = tl.exp(row_minus_max)
        denominator = tl.sum(numerator, axis=0)
        tl.store(output_ptr + row_idx * output_row_stride + col_offsets, numerator / denominator, mask=mask)


def softmax(x: torch.Tensor) -> torch.Tensor:
    n_rows, n_cols = x.shape
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    y = torch.empty_like(x)
    with torch.cuda.device(x.device):
        props = triton.runtime.driver.active.utils.get_device_properties(x.device.index or 0)
        num_programs = min(props["multiprocessor_count"] * 4, n_rows)
        softmax_persistent_kernel[(num_programs,)](y, x, x.stride(0), y.stride(0), n_rows, n_cols,
                                                   BLOCK_SIZE=BLOCK_SIZE)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return softmax(x.contiguous())
