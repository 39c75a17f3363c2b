"""Honest: the fused-softmax tutorial's occupancy idiom in full (own code): the device's properties and the
compile target are read once at import, from the active driver; the launcher compiles the kernel ahead with
`kernel.warmup(..., grid=(1,))`, loads it (`_init_handles()`), reads its register count and shared memory
(`n_regs`, `metadata.shared`) to size a persistent grid from the occupancy, and launches the compiled kernel
itself, with its arguments in positional order (constexprs included) and no keywords. Everything about the
driver needs a GPU; under the CPU interpreter it cannot run.

PROBLEM softmax; EXPECTED accepted on a GPU, `unverified` (interpreter_limit) on CPU, never rejected
(filters.verifier.static.compiled_kernels; the worker counts the compiled kernel's launches).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime import driver

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "load", "runtime", "correctness"), "interpreter_limit")
DEVICE = "gpu"

DEVICE_INDEX = torch.cuda.current_device() if torch.cuda.is_available() else 0
properties = driver.active.utils.get_device_properties(DEVICE_INDEX)
NUM_SM = properties["multiprocessor_count"]
NUM_REGS = properties["max_num_regs"]
SIZE_SMEM = properties["max_shared_mem"]
WARP_SIZE = properties["warpSize"]


@triton.jit
def softmax_kernel(output_ptr, input_ptr, input_row_stride, output_row_stride, n_rows, n_cols,
                   BLOCK_SIZE: tl.constexpr, num_stages: tl.constexpr):
    row_start = tl.program_id(0)
    row_step = tl.num_programs(0)
    for row_idx in tl.range(row_start, n_rows, row_step, num_stages=num_stages):
        col_offsets = tl.arange(0, BLOCK_SIZE)
        mask = col_offsets < n_cols
        row = tl.load(input_ptr + row_idx * input_row_stride + col_offsets, mask=mask, other=-float("inf"))
        numerator = tl.exp(row - tl.max(row, axis=0))
        tl.store(output_ptr + row_idx * output_row_stride + col_offsets, numerator / tl.sum(numerator, axis=0),
                 mask=mask)


def softmax(x):
    n_rows, n_cols = x.shape
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    num_warps = 8
    num_stages = 4 if SIZE_SMEM > 200000 else 2
    y = torch.empty_like(x)
    kernel = softmax_kernel.warmup(y, x, x.stride(0), y.stride(0), n_rows, n_cols, BLOCK_SIZE=BLOCK_SIZE,
                                   num_stages=num_stages, num_warps=num_warps, grid=(1,))
    kernel._init_handles()
    n_regs = max(kernel.n_regs, 1)
    size_smem = max(kernel.metadata.shared, 1)
    occupancy = NUM_REGS // (n_regs * WARP_SIZE * num_warps)
    occupancy = max(1, min(occupancy, SIZE_SMEM // size_smem))
    num_programs = min(NUM_SM * occupancy, n_rows)
    kernel[(num_programs, 1, 1)](y, x, x.stride(0), y.stride(0), n_rows, n_cols, BLOCK_SIZE, num_stages)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return softmax(x.contiguous())
