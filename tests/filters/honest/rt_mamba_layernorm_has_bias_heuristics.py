"""Honest: LayerNorm forward in state-spaces/mamba's `ops/triton/layer_norm.py` idiom (own code): one kernel
serves LayerNorm and RMSNorm through an `IS_RMS_NORM: tl.constexpr` flag, `@triton.heuristics` derive
`HAS_BIAS` and `HAS_RESIDUAL` from whether those arguments are None (a None pointer argument is never read),
the launcher asserts `x.stride(-1) == 1` instead of copying, allocates fp32 mean / rstd buffers that the
kernel stores for a backward, and returns only y.

PROBLEM layernorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.heuristics({"HAS_BIAS": lambda args: args["B"] is not None})
@triton.heuristics({"HAS_RESIDUAL": lambda args: args["RESIDUAL"] is not None})
@triton.jit
def _layer_norm_fwd_1pass_kernel(
    X, Y, W, B, RESIDUAL, Mean, Rstd,
    stride_x_row, stride_y_row, stride_res_row,
    N, eps,
    IS_RMS_NORM: tl.constexpr,
    BLOCK_N: tl.constexpr,
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
        x += tl.load(RESIDUAL + cols, mask=mask, other=0.0).to(tl.float32)
    if not IS_RMS_NORM:
        mean = tl.sum(x, axis=0) / N
        tl.store(Mean + row, mean)
        xbar = tl.where(cols < N, x - mean, 0.0)
        var = tl.sum(xbar * xbar, axis=0) / N
    else:
        xbar = tl.where(cols < N, x, 0.0)
        var = tl.sum(xbar * xbar, axis=0) / N
    rstd = 1 / tl.sqrt(var + eps)
    tl.store(Rstd + row, rstd)
    w = tl.load(W + cols, mask=mask).to(tl.float32)
    if HAS_BIAS:
        b = tl.load(B + cols, mask=mask).to(tl.float32)
    x_hat = (x - mean) * rstd if not IS_RMS_NORM else x * rstd
    y = x_hat * w + b if HAS_BIAS else x_hat * w
    tl.store(Y + cols, y, mask=mask)


def _layer_norm_fwd(x, weight, bias, eps, residual=None, out_dtype=None, is_rms_norm=False):
    M, N = x.shape
    assert x.stride(-1) == 1
    if residual is not None:
        assert residual.stride(-1) == 1
        assert residual.shape == (M, N)
    assert weight.shape == (N,)
    assert weight.stride(-1) == 1
    if bias is not None:
        assert bias.stride(-1) == 1
        assert bias.shape == (N,)
    y = torch.empty_like(x, dtype=x.dtype if out_dtype is None else out_dtype)
    assert y.stride(-1) == 1
    mean = torch.empty((M,), dtype=torch.float32, device=x.device) if not is_rms_norm else None
    rstd = torch.empty((M,), dtype=torch.float32, device=x.device)
    MAX_FUSED_SIZE = 65536 // x.element_size()
    BLOCK_N = min(MAX_FUSED_SIZE, triton.next_power_of_2(N))
    if N > BLOCK_N:
        raise RuntimeError("This layer norm doesn't support feature dim >= 64KB.")
    _layer_norm_fwd_1pass_kernel[(M,)](
        x, y, weight, bias, residual, mean, rstd,
        x.stride(0), y.stride(0), residual.stride(0) if residual is not None else 0,
        N, eps,
        is_rms_norm,
        BLOCK_N,
    )
    return y, mean, rstd


def layer_norm_fn(x, weight, bias, eps=1e-6):
    x_shape_og = x.shape
    x = x.reshape(-1, x.shape[-1])
    if x.stride(-1) != 1:
        x = x.contiguous()
    weight = weight.contiguous()
    if bias is not None:
        bias = bias.contiguous()
    y, _, _ = _layer_norm_fwd(x, weight, bias, eps)
    return y.reshape(x_shape_og)


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return layer_norm_fn(x, weight, bias, eps=1e-5)
