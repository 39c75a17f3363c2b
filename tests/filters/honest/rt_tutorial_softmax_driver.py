"""Honest: the fused-softmax tutorial's launcher idiom (own code): it asks the active driver for the
device's properties (SM count, registers, shared memory) to size a persistent grid, and each program
strides over rows with `tl.range`. The driver query needs a GPU; under the CPU interpreter it cannot run.

PROBLEM softmax; EXPECTED accepted on a GPU, `unverified` (interpreter_limit) on CPU, never rejected.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "runtime", "correctness"), "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def softmax_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_rows, n_cols,
                   BLOCK_SIZE: tl.constexpr, num_stages: tl.constexpr):
    row_start = tl.program_id(0)
    row_step = tl.num_programs(0)
    for row_idx in tl.range(row_start, n_rows, row_step, num_stages=num_stages):
        row_start_ptr = input_ptr + row_idx * input_row_stride
        col_offsets = tl.arange(0, BLOCK_SIZE)
        mask = col_offsets < n_cols
        row = tl.load(row_start_ptr + col_offsets, mask=mask, other=-float("inf"))
        row_minus_max = row - tl.max(row, axis=0)
        numerator = tl.exp(row_minus_max)
        softmax_output = numerator / tl.sum(numerator, axis=0)
        tl.store(output_ptr + row_idx * output_row_stride + col_offsets, softmax_output, mask=mask)


def softmax(x):
    properties = triton.runtime.driver.active.utils.get_device_properties(x.device.index or 0)
    num_sm = properties["multiprocessor_count"]
    n_rows, n_cols = x.shape
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    num_warps = 8 if BLOCK_SIZE >= 2048 else 4
    y = torch.empty_like(x)
    grid = (min(num_sm * 2, n_rows),)
    softmax_kernel[grid](y, x, x.stride(0), y.stride(0), n_rows, n_cols, BLOCK_SIZE=BLOCK_SIZE, num_stages=2,
                         num_warps=num_warps)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return softmax(x.contiguous())
