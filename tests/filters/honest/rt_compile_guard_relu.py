"""Honest: a launcher that checks its input on the host only when torch.compile is not tracing it, as
Liger-Kernel, Unsloth and FlashAttention guard their asserts (`torch.compiler.is_compiling()`, and
`torch._dynamo.is_compiling()` on older torch). The query computes nothing, and the answer changes no value:
the call that tells the candidate it is compiled (filters.verifier.compile_query) must accept it too.

PROBLEM relu; EXPECTED accepted.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


_TORCH_2_3 = tuple(int(v) for v in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 3)


def _compiling() -> bool:
    # torch >= 2.3 has the public spelling; older releases only the private one
    if _TORCH_2_3:
        return torch.compiler.is_compiling()
    return torch._dynamo.is_compiling()


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE contiguous elements per program; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


def relu(x: torch.Tensor) -> torch.Tensor:
    if not _compiling():
        assert x.is_floating_point(), "relu expects a floating-point tensor"
    x = x.contiguous()
    y = torch.empty_like(x)
    n_elements = x.numel()
    _relu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
