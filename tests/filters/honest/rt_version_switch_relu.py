"""Honest: launchers that compare the installed Triton and PyTorch versions to pick an API or a launch
option (Unsloth switches libdevice paths on triton >= 3.0; vLLM and Liger gate features on versions): the
version strings are read once at import and compared as tuples of numbers.

PROBLEM relu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def _version_tuple(version: str) -> tuple:
    return tuple(int(part) for part in version.split("+")[0].split(".")[:2] if part.isdigit())


TRITON_3 = _version_tuple(triton.__version__) >= (3, 0)
TORCH_2 = _version_tuple(torch.__version__) >= (2, 0)


@triton.jit
def _relu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    tl.store(y_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


def relu(x: torch.Tensor) -> torch.Tensor:
    assert TORCH_2, "this launcher needs PyTorch 2"
    x = x.contiguous()
    y = torch.empty_like(x)
    n_elements = x.numel()
    # newer Triton pipelines loads itself; older needs more warps to hide latency
    num_warps = 4 if TRITON_3 else 8
    _relu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024, num_warps=num_warps)
    return y


class ModelNew(nn.Module):
    def forward(self, x):
        return relu(x)
