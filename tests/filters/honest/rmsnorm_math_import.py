"""Honest: RMSNorm in the style of Liger-Kernel / unsloth, which import math functions by name
(`from triton.language.math import rsqrt`) and keep the row's statistics in a small helper. The CPU
interpreter only patches `tl.math.<name>` on the module, so the verifier patches names imported directly
as well (filters.verifier.sandbox_child `_patch_imported_language_names`): it is accepted on CPU too.

PROBLEM rmsnorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.math import rsqrt

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _inverse_rms(row, n_cols, eps):
    mean_square = tl.sum(row * row, axis=0) / n_cols
    return rsqrt(mean_square + eps)


@triton.jit
def _rms_norm_forward_kernel(
    Y_ptr, Y_row_stride, X_ptr, X_row_stride, W_ptr, n_cols, eps, BLOCK_SIZE: tl.constexpr,
):
    row_idx = tl.program_id(0).to(tl.int64)
    col_offsets = tl.arange(0, BLOCK_SIZE)
    mask = col_offsets < n_cols
    X_row = tl.load(X_ptr + row_idx * X_row_stride + col_offsets, mask=mask, other=0.0).to(tl.float32)
    W_row = tl.load(W_ptr + col_offsets, mask=mask, other=0.0)
    rstd = _inverse_rms(X_row, n_cols, eps)
    tl.store(Y_ptr + row_idx * Y_row_stride + col_offsets, X_row * rstd * W_row, mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.eps = 1e-6

    def forward(self, x, weight):
        n_rows, n_cols = x.shape
        X = x.contiguous()
        Y = torch.empty_like(X)
        BLOCK_SIZE = triton.next_power_of_2(n_cols)
        _rms_norm_forward_kernel[(n_rows,)](Y, Y.stride(0), X, X.stride(0), weight, n_cols, self.eps,
                                            BLOCK_SIZE=BLOCK_SIZE, num_warps=4)
        return Y
