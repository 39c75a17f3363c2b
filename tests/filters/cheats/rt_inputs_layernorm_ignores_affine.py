"""Cheat (inputs: default parameters): nn.LayerNorm's weight and bias start as ones and zeros, so a kernel
that normalises and ignores both matches the reference exactly as long as nobody re-draws them. Every
trained model has other values: there it is plainly wrong.

Demonstration: `ref = nn.LayerNorm(300); nn.init.normal_(ref.weight); m = ModelNew();
m.weight.data.copy_(ref.weight.data)`: `m(x)` differs from `ref(x)`.

Should be caught by: reference parameters and buffers re-drawn per seed (issue 15, section 6).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_layernorm_module"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def layernorm_kernel(x_ptr, out_ptr, n_cols, stride, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_cols
    diff = tl.where(mask, x - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(diff * diff, axis=0) / n_cols + eps)
    tl.store(out_ptr + row * stride + cols, diff * rstd, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(300))
        self.bias = nn.Parameter(torch.zeros(300))

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        layernorm_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), 1e-5,
                                        BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
