"""Honest: FlagGems' launcher shape (own code): the device module is bound once at module level
(`torch_device_fn = torch.cuda`, where FlagGems picks its backend's) and the launch runs under
`with torch_device_fn.device(x.device):`; the current stream is looked up through the same name. The alias
is `torch.cuda` wherever it is used, so `torch.cuda.device` only works on a GPU: unverified on CPU
(interpreter_limit), as by its full path.

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

torch_device_fn = torch.cuda


@triton.autotune(configs=[triton.Config({"BLOCK_SIZE": 512}, num_warps=4),
                          triton.Config({"BLOCK_SIZE": 1024}, num_warps=8)], key=["n_elements"])
@triton.jit
def add_func_kernel(x_ptr, y_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    y = tl.load(y_ptr + offsets, mask=mask, other=0.0)
    tl.store(out_ptr + offsets, x + y, mask=mask)


def add(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    A, B = A.contiguous(), B.contiguous()
    out = torch.empty_like(A)
    n_elements = out.numel()
    stream = torch_device_fn.current_stream(A.device)
    assert stream is not None
    grid = lambda meta: (triton.cdiv(n_elements, meta["BLOCK_SIZE"]),)  # noqa: E731
    with torch_device_fn.device(A.device):
        add_func_kernel[grid](A, B, out, n_elements)
    return out


class ModelNew(nn.Module):
    def forward(self, x, y):
        return add(x, y)
