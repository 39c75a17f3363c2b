"""Honest: a module whose forward is kept out of torch.compile's tracing with `@torch._dynamo.disable` (the
older, private name of torch.compiler.disable), as wrappers around kernels the compiler cannot trace are
marked, and a launch helper marked
`@torch._dynamo.disable(recursive=False)`. The decorator changes nothing for a candidate the verifier never
compiles.

PROBLEM relu; EXPECTED accepted.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE contiguous elements per program; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


@torch._dynamo.disable(recursive=False)
def _launch(x: torch.Tensor, y: torch.Tensor) -> None:
    n_elements = x.numel()
    _relu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024)


class ModelNew(nn.Module):
    @torch._dynamo.disable
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        _launch(x, y)
        return y
