"""Honest: LayerNorm forward in Liger-Kernel's idiom (own code): the launcher is wrapped by an
`ensure_contiguous` decorator defined in the file (functools.wraps, `.contiguous()` on every tensor
argument), one row per program, int64 row index, mean and rstd cached.

Decision for the gate: a decorator the candidate defines itself is checked code like any other function
(its body is gated), so it should be allowed, with `functools.wraps`; imported decorators stay refused.

PROBLEM layernorm; EXPECTED accepted everywhere.
"""

import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def ensure_contiguous(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args = [arg.contiguous() if isinstance(arg, torch.Tensor) else arg for arg in args]
        return fn(*args, **kwargs)
    return wrapper


@triton.jit
def _layer_norm_forward_kernel(Y_ptr, Y_row_stride, X_ptr, X_row_stride, W_ptr, B_ptr, Mean_ptr, RSTD_ptr,
                               n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0).to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    X_row = tl.load(X_ptr + row_idx * X_row_stride + col_offsets, mask=mask, other=0.0).to(tl.float32)
    W_row = tl.load(W_ptr + col_offsets, mask=mask, other=0.0)
    B_row = tl.load(B_ptr + col_offsets, mask=mask, other=0.0)
    mean = tl.sum(X_row, axis=0) / n_cols
    centered = tl.where(mask, X_row - mean, 0.0)
    var = tl.sum(centered * centered, axis=0) / n_cols
    rstd = tl.rsqrt(var + eps)
    tl.store(Mean_ptr + row_idx, mean)
    tl.store(RSTD_ptr + row_idx, rstd)
    tl.store(Y_ptr + row_idx * Y_row_stride + col_offsets, centered * rstd * W_row + B_row, mask=mask)


@ensure_contiguous
def layer_norm_forward(X, W, B, eps):
    n_rows, n_cols = X.shape
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    Y = torch.empty_like(X)
    Mean = torch.empty(n_rows, dtype=torch.float32, device=X.device)
    RSTD = torch.empty(n_rows, dtype=torch.float32, device=X.device)
    _layer_norm_forward_kernel[(n_rows,)](Y, Y.stride(0), X, X.stride(0), W, B, Mean, RSTD, n_cols, eps,
                                          BLOCK_SIZE=BLOCK_SIZE, num_warps=4)
    return Y


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return layer_norm_forward(x, weight, bias, 1e-5)
