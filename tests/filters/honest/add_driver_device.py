"""Honest: vector add whose launcher asks Triton's driver for the current device, as launchers written for
several backends do (`triton.runtime.driver.active.get_current_device()`, used to pick a per-device config).
The CPU interpreter has no driver: the verdict is `unverified` (interpreter_limit), never a rejection.

PROBLEM add; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def add_kernel(x_ptr, y_ptr, output_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    block_start = pid * BLOCK_SIZE
    offsets = block_start + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    y = tl.load(y_ptr + offsets, mask=mask)
    tl.store(output_ptr + offsets, x + y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, y):
        device_index = triton.runtime.driver.active.get_current_device()
        block_size = 1024 if device_index >= 0 else 512
        output = torch.empty_like(x)
        n_elements = output.numel()
        grid = (triton.cdiv(n_elements, block_size),)
        add_kernel[grid](x, y, output, n_elements, BLOCK_SIZE=block_size)
        return output
