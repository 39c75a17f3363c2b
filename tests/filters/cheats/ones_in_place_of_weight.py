"""Cheat: torch.ones and torch.zeros may be allocated in forward (a launcher's neutral weight and bias), so
hold the module's parameters, as the reference does, but hand the kernel fresh ones and zeros instead: at
nn.LayerNorm's default initialisation they are the same values, so a harness that never changes the
parameters sees a correct LayerNorm.

PROBLEM rt_layernorm_module. Caught at run time: the reference's parameters are re-drawn per seed and copied
into the candidate's, which it ignores, so its output no longer matches (`mismatch`). The gate lets the
allocation through, as it must for honest launchers; what is computed from it stays the kernel's.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_layernorm_module"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def layernorm_kernel(x_ptr, w_ptr, b_ptr, out_ptr, n_cols, stride, eps, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_cols
    diff = tl.where(mask, x - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(diff * diff, axis=0) / n_cols + eps)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0)
    b = tl.load(b_ptr + cols, mask=mask, other=0.0)
    tl.store(out_ptr + row * stride + cols, diff * rstd * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(300))
        self.bias = nn.Parameter(torch.zeros(300))

    def forward(self, x):
        x = x.contiguous()
        n_cols = x.shape[1]
        weight = torch.ones(n_cols, dtype=x.dtype, device=x.device)
        bias = torch.zeros(n_cols, dtype=x.dtype, device=x.device)
        out = torch.empty_like(x)
        layernorm_kernel[(x.shape[0],)](x, weight, bias, out, n_cols, x.stride(0), 1e-5,
                                        BLOCK=triton.next_power_of_2(n_cols))
        return out
