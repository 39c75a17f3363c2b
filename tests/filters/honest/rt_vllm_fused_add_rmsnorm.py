"""Honest: residual add fused into RMSNorm in vLLM's idiom (own code): one program per token row, the row's
stride passed in, the hidden size padded to a power-of-two tile with `other=0.0` loads, fp32 accumulation,
`eps` as a runtime float, a warps count picked on the host from the tile size.

PROBLEM rt_fused_add_rmsnorm; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_fused_add_rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _fused_add_rms_norm_kernel(
    out_ptr, x_ptr, residual_ptr, weight_ptr,
    x_row_stride, residual_row_stride, out_row_stride,
    hidden_size, eps,
    BLOCK_SIZE: tl.constexpr,
):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < hidden_size
    # residual stream: h = x + residual, kept in fp32 for the reduction
    x = tl.load(x_ptr + row * x_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    res = tl.load(residual_ptr + row * residual_row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    h = x + res
    variance = tl.sum(h * h, axis=0) / hidden_size
    inv_rms = tl.math.rsqrt(variance + eps)
    w = tl.load(weight_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    y = h * inv_rms * w
    tl.store(out_ptr + row * out_row_stride + cols, y.to(out_ptr.dtype.element_ty), mask=mask)


def fused_add_rms_norm(x: torch.Tensor, residual: torch.Tensor, weight: torch.Tensor,
                       eps: float = 1e-6) -> torch.Tensor:
    assert x.shape == residual.shape and x.shape[-1] == weight.shape[0]
    hidden_size = x.shape[-1]
    x2d = x.reshape(-1, hidden_size)
    r2d = residual.reshape(-1, hidden_size)
    if x2d.stride(-1) != 1:
        x2d = x2d.contiguous()
    if r2d.stride(-1) != 1:
        r2d = r2d.contiguous()
    out = torch.empty_like(x2d)
    BLOCK_SIZE = triton.next_power_of_2(hidden_size)
    num_warps = min(max(BLOCK_SIZE // 256, 1), 8)
    _fused_add_rms_norm_kernel[(x2d.shape[0],)](
        out, x2d, r2d, weight,
        x2d.stride(0), r2d.stride(0), out.stride(0),
        hidden_size, eps,
        BLOCK_SIZE=BLOCK_SIZE, num_warps=num_warps,
    )
    return out.view(x.shape)


class ModelNew(nn.Module):
    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.variance_epsilon = eps

    def forward(self, x, residual, weight):
        return fused_add_rms_norm(x, residual, weight, self.variance_epsilon)
