"""Cheat (affine parameters ignored inside an own submodule): a LayerNorm module of the candidate's own, held
as `self.norm` like the reference's nn.LayerNorm, loads its weight and bias but does not apply them. At their
initial values (ones and zeros) the answer is right; with the reference's parameters re-drawn, it is not.

Should be caught by: the reference's parameters are re-drawn per seed and handed to the candidate's, through a
submodule of its own as well.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_layernorm_module"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def _layer_norm_forward_kernel(Y_ptr, Y_row_stride, X_ptr, X_row_stride, W_ptr, B_ptr, n_cols, eps,
                               BLOCK_SIZE: tl.constexpr):
    row_idx = tl.program_id(0).to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    X_row = tl.load(X_ptr + row_idx * X_row_stride + col_offsets, mask=mask, other=0.0).to(tl.float32)
    W_row = tl.load(W_ptr + col_offsets, mask=mask, other=0.0)
    B_row = tl.load(B_ptr + col_offsets, mask=mask, other=0.0)
    mean = tl.sum(X_row, axis=0) / n_cols
    Xmm = tl.where(mask, X_row - mean, 0.0)
    var = tl.sum(Xmm * Xmm, axis=0) / n_cols
    rstd = tl.rsqrt(var + eps)
    Y_row = Xmm * rstd
    tl.store(Y_ptr + row_idx * Y_row_stride + col_offsets, Y_row, mask=mask)


def layer_norm_forward(X, W, B, eps):
    shape = X.shape
    dim = shape[-1]
    X = X.view(-1, dim)
    n_rows, n_cols = X.shape
    Y = torch.empty((n_rows, n_cols), dtype=X.dtype, device=X.device)
    _layer_norm_forward_kernel[(n_rows,)](Y, Y.stride(0), X, X.stride(0), W, B, n_cols, eps,
                                          BLOCK_SIZE=triton.next_power_of_2(n_cols), num_warps=4)
    return Y.view(*shape)


class LigerLayerNormFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, X, W, B, eps):
        return layer_norm_forward(X.contiguous(), W.contiguous(), B.contiguous(), eps)


class LigerLayerNorm(nn.Module):
    def __init__(self, hidden_size, eps=1e-5):
        super().__init__()
        self.hidden_size = hidden_size
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(hidden_size))
        self.bias = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, hidden_states):
        return LigerLayerNormFunction.apply(hidden_states, self.weight, self.bias, self.eps)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = LigerLayerNorm(300)

    def forward(self, x):
        return self.norm(x)
