"""Honest: a launcher that looks up the current stream of the input's device, as launchers ported from other
kernel languages (which take a stream argument) and xformers-style wrappers do, and checks the launch goes to
the input's GPU. Triton 3 launches on the current stream anyway; the lookup computes nothing. On CPU (no CUDA)
torch.cuda.current_stream raises, so the interpreter cannot run it: `unverified` there, never rejected.

PROBLEM relu; EXPECTED accepted on a GPU, unverified (interpreter_limit) on CPU.
"""

from typing import Optional

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "runtime", "correctness"), "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE elements per program; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def relu(x: torch.Tensor, stream: Optional[torch.cuda.Stream] = None) -> torch.Tensor:
    x = x.contiguous()
    if stream is None:
        stream = torch.cuda.current_stream(x.device)
    assert stream.device == x.device, "the stream must belong to the input's device"
    y = torch.empty_like(x)
    n_elements = x.numel()
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
    _relu_kernel[grid](x, y, n_elements, BLOCK_SIZE=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
