"""Honest: a multi-output launcher that allocates its outputs into a list, launches, and returns
`tuple(outs)` (the pure-launcher shape of jax-triton's `triton_call` and of Triton-distributed's op
wrappers, own code), here for per-token int8 quantisation, rounding half to even with the fp32 magic-number
trick (adding and subtracting 1.5 * 2**23) instead of libdevice.

PROBLEM rt_int8_quant; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_int8_quant"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

ROUND_MAGIC = tl.constexpr(12582912.0)  # 1.5 * 2**23: fp32 addition rounds to the nearest even integer below 2**22


@triton.jit
def _per_token_int8_kernel(x_ptr, q_ptr, scale_ptr, n_cols, stride_x, stride_q, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride_x + cols, mask=mask, other=0.0).to(tl.float32)
    scale = tl.math.div_rn(tl.maximum(tl.max(tl.abs(x), axis=0), 1e-10), 127.0)
    # IEEE divisions (here and above): a GPU's default `/` is approximate (2 ulp), which flips the rounding of exact ties (seen on an
    # H100 on 2026-12-07 with inputs quantised to halves), where PyTorch divides exactly
    q = (tl.math.div_rn(x, scale) + ROUND_MAGIC) - ROUND_MAGIC
    q = tl.minimum(tl.maximum(q, -128.0), 127.0).to(tl.int8)
    tl.store(q_ptr + row * stride_q + cols, q, mask=mask)
    tl.store(scale_ptr + row, scale)


def per_token_quant_int8(x):
    x = x.contiguous()
    n_rows, n_cols = x.shape
    outs = [torch.empty((n_rows, n_cols), dtype=torch.int8, device=x.device),
            torch.empty((n_rows, 1), dtype=torch.float32, device=x.device)]
    _per_token_int8_kernel[(n_rows,)](x, outs[0], outs[1], n_cols, x.stride(0), outs[0].stride(0),
                                      BLOCK=triton.next_power_of_2(n_cols))
    return tuple(outs)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return per_token_quant_int8(x)
