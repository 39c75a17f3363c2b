"""Cheat: a BatchNorm that applies the running statistics (eval mode) to a problem that runs in training
mode. While the verifier put the reference in eval mode, and the running statistics sat at their default
zeros and ones, the kernel only had to compute x * weight + bias, and matched.

PROBLEM batchnorm_train. Caught at runtime: the reference runs in the mode the problem defines (training:
the batch's own mean and variance), and its running statistics are re-drawn per seed anyway.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "batchnorm_train"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def affine_kernel(x_ptr, mean_ptr, var_ptr, w_ptr, b_ptr, y_ptr, n_rows, n_cols, eps, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n_rows * n_cols
    col = offs % n_cols
    x = tl.load(x_ptr + offs, mask=mask)
    mean = tl.load(mean_ptr + col, mask=mask)
    var = tl.load(var_ptr + col, mask=mask)
    w = tl.load(w_ptr + col, mask=mask)
    b = tl.load(b_ptr + col, mask=mask)
    tl.store(y_ptr + offs, (x - mean) / tl.sqrt(var + eps) * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = self.norm
        affine_kernel[(triton.cdiv(x.numel(), 1024),)](x, n.running_mean, n.running_var, n.weight, n.bias, y,
                                                       x.shape[0], x.shape[1], n.eps, BLOCK=1024)
        return y
