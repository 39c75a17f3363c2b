"""Honest: a module-level map from torch dtypes to triton.language dtypes handed to the kernel as a
`tl.constexpr` output type (FBGEMM's and torchao's `TORCH_TO_TL_DTYPE` tables, own code): the kernel computes
in fp32 and casts its result with `.to(OUT_DTYPE)`.

PROBLEM silu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

TORCH_TO_TL_DTYPE = {
    torch.float32: tl.float32,
    torch.float16: tl.float16,
}


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n_elements, OUT_DTYPE: tl.constexpr, BLOCK_SIZE: tl.constexpr = 1024):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0).to(tl.float32)
    y = x * tl.sigmoid(x)
    tl.store(y_ptr + offsets, y.to(OUT_DTYPE), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_elements = x.numel()
        _silu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, OUT_DTYPE=TORCH_TO_TL_DTYPE[x.dtype])
        return y
