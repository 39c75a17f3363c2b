"""Honest: LayerNorm with its affine parameters as module parameters (nn.LayerNorm's weight and bias, made
in __init__ as the reference makes them), in unsloth's launcher idiom (own code): a
`calculate_settings`-style helper, MAX_FUSED_SIZE guard, row program with int64 index, weight and bias
loaded and applied.

PROBLEM rt_layernorm_module; EXPECTED accepted everywhere (also once the verifier re-draws the
reference's parameters, provided it hands the candidate the same values).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_layernorm_module"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

MAX_FUSED_SIZE = 65536


def calculate_settings(n):
    BLOCK_SIZE = triton.next_power_of_2(n)
    if BLOCK_SIZE > MAX_FUSED_SIZE:
        raise RuntimeError(f"cannot launch: n = {n} exceeds the maximum CUDA block size {MAX_FUSED_SIZE}")
    num_warps = 4
    if BLOCK_SIZE >= 8192:
        num_warps = 16
    elif BLOCK_SIZE >= 2048:
        num_warps = 8
    return BLOCK_SIZE, num_warps


@triton.jit
def layernorm_forward(Y, Y_row_stride, X, X_row_stride, W, b, r, mu, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0).to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    Y += row_idx * Y_row_stride
    X += row_idx * X_row_stride
    X_row = tl.load(X + col_offsets, mask=mask, other=0).to(tl.float32)
    W_row = tl.load(W + col_offsets, mask=mask, other=0).to(tl.float32)
    b_row = tl.load(b + col_offsets, mask=mask, other=0).to(tl.float32)
    mean_X = tl.sum(X_row, axis=0) / n_cols
    XX = tl.where(mask, X_row - mean_X, 0)
    row_var = tl.sum(XX * XX, axis=0) / n_cols
    inv_var = tl.math.rsqrt(row_var + eps)
    tl.store(r + row_idx, inv_var)
    tl.store(mu + row_idx, mean_X)
    tl.store(Y + col_offsets, XX * inv_var * W_row + b_row, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(300))
        self.bias = nn.Parameter(torch.zeros(300))
        self.eps = 1e-5

    def forward(self, X):
        X = X.contiguous()
        n_rows, n_cols = X.shape
        BLOCK_SIZE, num_warps = calculate_settings(n_cols)
        Y = torch.empty((n_rows, n_cols), dtype=X.dtype, device=X.device)
        r = torch.empty(n_rows, dtype=torch.float32, device=X.device)
        mu = torch.empty(n_rows, dtype=torch.float32, device=X.device)
        layernorm_forward[(n_rows,)](Y, Y.stride(0), X, X.stride(0), self.weight, self.bias, r, mu, n_cols,
                                     self.eps, BLOCK_SIZE=BLOCK_SIZE, num_warps=num_warps)
        return Y
