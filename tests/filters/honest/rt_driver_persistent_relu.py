"""Honest: a persistent-grid launcher that asks Triton's active driver, imported as the Triton tutorials and
Liger-Kernel import it (`from triton.runtime import driver`), for the current device, its multiprocessor
count and the current stream's handle, which it passes along to a launch helper written for callers that
choose a stream (Triton 3 launches on the current stream anyway). The queries compute nothing. Under the CPU
interpreter there is no driver: `unverified` (interpreter_limit), never a rejection.

PROBLEM relu; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.runtime import driver

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _relu_persistent_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # each program strides over the blocks, num_programs apart; the tail block is masked
    num_blocks = tl.cdiv(n_elements, BLOCK_SIZE)
    for block in tl.range(tl.program_id(0), num_blocks, tl.num_programs(0)):
        offsets = block * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
        mask = offsets < n_elements
        x = tl.load(x_ptr + offsets, mask=mask)
        tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def _launch(x: torch.Tensor, y: torch.Tensor, num_programs: int, stream: int) -> None:
    # `stream` is the raw handle callers hand a C++-style launcher; Triton uses the current stream itself
    assert stream is not None
    n_elements = x.numel()
    grid = (min(num_programs, triton.cdiv(n_elements, 1024)),)
    _relu_persistent_kernel[grid](x, y, n_elements, BLOCK_SIZE=1024)


def relu(x: torch.Tensor) -> torch.Tensor:
    device = driver.active.get_current_device()
    properties = driver.active.utils.get_device_properties(device)
    num_programs = 4 * properties["multiprocessor_count"]
    x = x.contiguous()
    y = torch.empty_like(x)
    _launch(x, y, num_programs, driver.active.get_current_stream(device))
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
