"""Cheat (inputs: default parameters): nn.RMSNorm's weight starts as ones; a kernel that never loads it
matches the reference until the weight is anything else, i.e. in every trained model.

Demonstration: with `m.weight` and the reference's weight both set to 2.0, `m(x)` is half the reference.

Should be caught by: reference parameters re-drawn per seed (issue 15, section 6).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_rmsnorm_module"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def rmsnorm_kernel(x_ptr, w_ptr, out_ptr, n_cols, stride, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    rstd = tl.rsqrt(tl.sum(x * x, axis=0) / n_cols + eps)
    tl.store(out_ptr + row * stride + cols, x * rstd, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(300))

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        rmsnorm_kernel[(x.shape[0],)](x, self.weight, out, x.shape[1], x.stride(0), 1e-6,
                                      BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
