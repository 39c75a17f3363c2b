"""Honest: a launcher that imports the CUDA queries it uses by name (`from torch.cuda import
current_stream`), as many wrappers do, and hands the current stream of the input's device to a launch
helper that takes one. The lookup computes nothing; on CPU (no CUDA) it raises, so the interpreter cannot
run it: `unverified` (interpreter_limit) there, as with `torch.cuda.current_stream` by its full path, never
rejected at run time.

PROBLEM relu; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from torch.cuda import current_stream

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE elements per program; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def _launch(x: torch.Tensor, y: torch.Tensor, stream) -> None:
    assert stream.device == x.device, "the stream must belong to the input's device"
    n_elements = x.numel()
    _relu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        _launch(x, y, current_stream(x.device))
        return y
