"""Honest: RMSNorm, one program per row, fp32.

PROBLEM rmsnorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def rmsnorm_kernel(x_ptr, w_ptr, out_ptr, stride_row, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * stride_row + offs, mask=mask, other=0.0).to(tl.float32)
    # mean of squares over the real columns only (masked lanes loaded 0)
    ms = tl.sum(x * x, axis=0) / n_cols
    inv_rms = tl.math.rsqrt(ms + eps)
    w = tl.load(w_ptr + offs, mask=mask, other=0.0)
    tl.store(out_ptr + row * stride_row + offs, (x * inv_rms * w).to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.eps = 1e-6

    def forward(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        assert x.shape[-1] == weight.numel(), "weight must have one entry per column"
        x = x.contiguous()
        out = torch.empty_like(x)
        rows = x.numel() // x.shape[-1]
        BLOCK_SIZE = triton.next_power_of_2(x.shape[-1])
        rmsnorm_kernel[(rows,)](x, weight, out, x.stride(-2), x.shape[-1], self.eps, BLOCK_SIZE=BLOCK_SIZE)
        return out
