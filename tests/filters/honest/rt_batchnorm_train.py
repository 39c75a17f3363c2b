"""Honest: BatchNorm1d forward in training mode (the mode a fresh module is in, which the problem never
leaves): one program per feature column, the batch's own mean and biased variance in fp32, then the affine
transform. (The running-statistics update is a side effect the output does not show.)

PROBLEM rt_batchnorm_train (64x300); EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_batchnorm_train"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def bn_train_kernel(x_ptr, w_ptr, b_ptr, out_ptr, n_rows, n_cols, eps, BLOCK: tl.constexpr):
    col = tl.program_id(0).to(tl.int64)
    rows = tl.arange(0, BLOCK)
    mask = rows < n_rows
    x = tl.load(x_ptr + rows * n_cols + col, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / n_rows
    centered = tl.where(mask, x - mean, 0.0)
    var = tl.sum(centered * centered, axis=0) / n_rows
    y = centered * tl.rsqrt(var + eps) * tl.load(w_ptr + col) + tl.load(b_ptr + col)
    tl.store(out_ptr + rows * n_cols + col, y, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(300))
        self.bias = nn.Parameter(torch.zeros(300))

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        bn_train_kernel[(x.shape[1],)](x, self.weight, self.bias, out, x.shape[0], x.shape[1], 1e-5,
                                       BLOCK=triton.next_power_of_2(x.shape[0]))
        return out
