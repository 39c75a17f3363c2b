"""Honest: RMSNorm as Liger-Kernel ships it (written for this test, not copied): a
`torch.autograd.Function` whose forward launches the Triton kernel and saves the fp32 rstd, and whose
backward (never run by a forward-only verifier) computes the gradients through a module-level helper in
PyTorch, as Liger's sums the weight gradient with `.sum(dim=0)`.

PROBLEM rmsnorm (weight is an input); EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

MAX_FUSED_SIZE = 65536


def calculate_settings(n):
    block_size = triton.next_power_of_2(n)
    if block_size > MAX_FUSED_SIZE:
        raise RuntimeError(f"feature dim {n} exceeds the fused limit {MAX_FUSED_SIZE}")
    num_warps = 4
    if block_size >= 32768:
        num_warps = 32
    elif block_size >= 8192:
        num_warps = 16
    elif block_size >= 2048:
        num_warps = 8
    return block_size, num_warps


@triton.jit
def _rms_norm_forward_kernel(Y_ptr, Y_row_stride, X_ptr, X_row_stride, W_ptr, RSTD_ptr, n_cols, eps,
                             BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0).to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    Y_ptr += row_idx * Y_row_stride
    X_ptr += row_idx * X_row_stride
    X_row = tl.load(X_ptr + col_offsets, mask=mask, other=0.0)
    X_row_dtype = X_row.dtype
    W_row = tl.load(W_ptr + col_offsets, mask=mask, other=0.0)
    X_row = X_row.to(tl.float32)
    mean_square = tl.sum(X_row * X_row, axis=0) / n_cols
    rstd = tl.rsqrt(mean_square + eps)
    tl.store(RSTD_ptr + row_idx, rstd)
    Y_row = (X_row * rstd).to(X_row_dtype) * W_row
    tl.store(Y_ptr + col_offsets, Y_row, mask=mask)


def rms_norm_forward(X, W, eps):
    shape = X.shape
    X = X.view(-1, shape[-1])
    n_rows, n_cols = X.shape
    BLOCK_SIZE, num_warps = calculate_settings(n_cols)
    Y = torch.empty((n_rows, n_cols), dtype=X.dtype, device=X.device)
    RSTD = torch.empty(n_rows, dtype=torch.float32, device=X.device)
    _rms_norm_forward_kernel[(n_rows,)](Y, Y.stride(0), X, X.stride(0), W, RSTD, n_cols, eps,
                                        BLOCK_SIZE=BLOCK_SIZE, num_warps=num_warps)
    return Y.view(*shape), X, RSTD


def rms_norm_backward(dY, X, W, RSTD):
    shape = dY.shape
    dY = dY.reshape(-1, shape[-1]).float()
    x_hat = X.float() * RSTD[:, None]
    dW = (dY * x_hat).sum(dim=0).to(W.dtype)
    wdy = dY * W.float()
    dX = RSTD[:, None] * (wdy - x_hat * (wdy * x_hat).mean(dim=-1, keepdim=True))
    return dX.to(X.dtype).view(*shape), dW


class LigerRMSNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, W, eps):
        Y, X_2d, RSTD = rms_norm_forward(X, W, eps)
        ctx.eps = eps
        ctx.save_for_backward(X_2d, W, RSTD)
        return Y

    @staticmethod
    def backward(ctx, dY):
        X, W, RSTD = ctx.saved_tensors
        dX, dW = rms_norm_backward(dY, X, W, RSTD)
        return dX, dW, None


class ModelNew(nn.Module):
    def __init__(self, eps=1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, x, weight):
        return LigerRMSNormFunction.apply(x.contiguous(), weight.contiguous(), self.eps)
