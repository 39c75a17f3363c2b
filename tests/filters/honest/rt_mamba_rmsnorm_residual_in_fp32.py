"""Honest: residual add + RMSNorm in state-spaces/mamba's `rms_norm_fn` idiom (own code): the kernel takes an
optional bias and residual (`triton.heuristics` on None arguments), writes the pre-norm sum to a
`residual_out` buffer whose dtype is fp32 when `residual_in_fp32` is set (`STORE_RESIDUAL_OUT: tl.constexpr`),
and the launcher returns `y` alone unless `prenorm` asks for the residual too. The residual buffer is a
by-product the next block would read; here nobody does.

PROBLEM rt_fused_add_rmsnorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_fused_add_rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.heuristics({"HAS_BIAS": lambda args: args["B"] is not None})
@triton.heuristics({"HAS_RESIDUAL": lambda args: args["RESIDUAL"] is not None})
@triton.jit
def _rms_norm_fwd_kernel(
    X, Y, W, B, RESIDUAL, RESIDUAL_OUT, Rstd,
    stride_x_row, stride_y_row, stride_res_row, stride_res_out_row,
    N, eps,
    BLOCK_N: tl.constexpr,
    STORE_RESIDUAL_OUT: tl.constexpr,
    HAS_RESIDUAL: tl.constexpr,
    HAS_BIAS: tl.constexpr,
):
    row = tl.program_id(0)
    X += row * stride_x_row
    Y += row * stride_y_row
    cols = tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(X + cols, mask=mask, other=0.0).to(tl.float32)
    if HAS_RESIDUAL:
        RESIDUAL += row * stride_res_row
        residual = tl.load(RESIDUAL + cols, mask=mask, other=0.0).to(tl.float32)
        x += residual
    if STORE_RESIDUAL_OUT:
        RESIDUAL_OUT += row * stride_res_out_row
        tl.store(RESIDUAL_OUT + cols, x, mask=mask)
    xbar = tl.where(mask, x, 0.0)
    var = tl.sum(xbar * xbar, axis=0) / N
    rstd = 1 / tl.sqrt(var + eps)
    tl.store(Rstd + row, rstd)
    w = tl.load(W + cols, mask=mask).to(tl.float32)
    y = x * rstd * w
    if HAS_BIAS:
        y += tl.load(B + cols, mask=mask).to(tl.float32)
    tl.store(Y + cols, y, mask=mask)


def _rms_norm_fwd(x, weight, bias, eps, residual=None, residual_dtype=None):
    M, N = x.shape
    assert x.stride(-1) == 1
    if residual is not None:
        assert residual.stride(-1) == 1
        assert residual.shape == (M, N)
    assert weight.shape == (N,) and weight.stride(-1) == 1
    y = torch.empty_like(x)
    if residual is not None or (residual_dtype is not None and residual_dtype != x.dtype):
        residual_out = torch.empty(M, N, device=x.device, dtype=residual_dtype)
        assert residual_out.stride(-1) == 1
    else:
        residual_out = None
    rstd = torch.empty((M,), dtype=torch.float32, device=x.device)
    MAX_FUSED_SIZE = 65536 // x.element_size()
    BLOCK_N = min(MAX_FUSED_SIZE, triton.next_power_of_2(N))
    if N > BLOCK_N:
        raise RuntimeError("This rms norm doesn't support feature dim >= 64KB.")
    _rms_norm_fwd_kernel[(M,)](
        x, y, weight, bias, residual, residual_out, rstd,
        x.stride(0), y.stride(0),
        residual.stride(0) if residual is not None else 0,
        residual_out.stride(0) if residual_out is not None else 0,
        N, eps,
        BLOCK_N,
        residual_out is not None,
    )
    # the pre-norm sum is x itself when nothing was added and no other dtype was asked for
    return y, rstd, residual_out if residual_out is not None else x


def rms_norm_fn(x, weight, bias, residual=None, prenorm=False, residual_in_fp32=False, eps=1e-6):
    x_shape_og = x.shape
    x = x.reshape(-1, x.shape[-1])
    if x.stride(-1) != 1:
        x = x.contiguous()
    if residual is not None:
        residual = residual.reshape(-1, residual.shape[-1])
        if residual.stride(-1) != 1:
            residual = residual.contiguous()
    weight = weight.contiguous()
    residual_dtype = residual.dtype if residual is not None else (torch.float32 if residual_in_fp32 else None)
    y, _, residual_out = _rms_norm_fwd(x, weight, bias, eps, residual, residual_dtype=residual_dtype)
    y = y.reshape(x_shape_og)
    return y if not prenorm else (y, residual_out.reshape(x_shape_og))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.eps = 1e-6
        self.residual_in_fp32 = True

    def forward(self, x, residual, weight):
        return rms_norm_fn(x, weight, None, residual=residual, prenorm=False,
                           residual_in_fp32=self.residual_in_fp32, eps=self.eps)
