"""Honest: per-token symmetric int8 quantisation in vLLM's and SGLang's idiom (own code): one program per
token, the row's absolute maximum over 127 is its scale, values rounded half to even with libdevice's `rint`,
clamped to [-128, 127], and the launcher returns (q, scale). libdevice needs a GPU, so on CPU this is
`unverified`, never rejected.

PROBLEM rt_int8_quant; EXPECTED accepted on a GPU, unverified (interpreter_limit) on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language.extra.cuda import libdevice

PROBLEM = "rt_int8_quant"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def per_token_int8_kernel(x_ptr, q_ptr, scale_ptr, n_cols, stride_x, stride_q, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
    absmax = tl.maximum(tl.max(tl.abs(x), axis=0), 1e-10)
    scale = absmax / 127.0
    q = libdevice.rint(x / scale)
    q = tl.clamp(q, -128.0, 127.0).to(tl.int8)
    tl.store(q_ptr + row * stride_q + cols, q, mask=mask)
    tl.store(scale_ptr + row, scale)


def per_token_quant_int8(x):
    """Quantise each row of a 2-D tensor; returns the int8 values and one fp32 scale per row, shaped (M, 1)."""
    x = x.contiguous()
    q = torch.empty_like(x, dtype=torch.int8)
    scales = torch.empty((x.shape[0], 1), dtype=torch.float32, device=x.device)
    per_token_int8_kernel[(x.shape[0],)](x, q, scales, x.shape[1], x.stride(0), q.stride(0),
                                         BLOCK=triton.next_power_of_2(x.shape[1]), num_warps=4)
    return q, scales


class ModelNew(nn.Module):
    def forward(self, x):
        return per_token_quant_int8(x)
