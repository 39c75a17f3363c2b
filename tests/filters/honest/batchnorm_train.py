"""Honest: a training-mode BatchNorm (the batch's own mean and biased variance per channel, one program per
channel), with affine parameters of its own named differently from the reference's nn.BatchNorm1d, and no
running statistics at all: in training mode the output does not depend on them, so the verifier does not
ask for them.

PROBLEM batchnorm_train; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "batchnorm_train"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def batch_norm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, n_rows, n_cols, eps, BLOCK_ROWS: tl.constexpr):
    col = tl.program_id(0)
    rows = tl.arange(0, BLOCK_ROWS)
    mask = rows < n_rows
    x = tl.load(x_ptr + rows * n_cols + col, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_rows
    centred = tl.where(mask, x - mean, 0.0)
    var = tl.sum(centred * centred, axis=0) / n_rows
    w = tl.load(w_ptr + col)
    b = tl.load(b_ptr + col)
    tl.store(y_ptr + rows * n_cols + col, centred / tl.sqrt(var + eps) * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels))
        self.shift = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        batch_norm_kernel[(x.shape[1],)](x, self.scale, self.shift, y, x.shape[0], x.shape[1], 1e-5,
                                         BLOCK_ROWS=triton.next_power_of_2(x.shape[0]))
        return y
