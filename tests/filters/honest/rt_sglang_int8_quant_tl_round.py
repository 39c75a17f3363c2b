"""Honest: per-token symmetric int8 quantisation rounding without libdevice (SGLang's and torchao's portable
variant, own code): round half to even written out with `tl.floor`, so the CPU interpreter can judge it; the
launcher returns (q, scale).

PROBLEM rt_int8_quant; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_int8_quant"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _round_half_even(x):
    """Round to the nearest integer, ties to even, as torch.round does."""
    floor = tl.floor(x)
    diff = x - floor
    floor_is_odd = (floor - 2.0 * tl.floor(floor * 0.5)) != 0.0
    up = (diff > 0.5) | ((diff == 0.5) & floor_is_odd)
    return tl.where(up, floor + 1.0, floor)


@triton.jit
def per_token_int8_kernel(x_ptr, q_ptr, scale_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    scale = tl.maximum(tl.max(tl.abs(x), axis=0), 1e-10) / 127.0
    q = tl.clamp(_round_half_even(x / scale), -128.0, 127.0)
    tl.store(q_ptr + row * stride + cols, q.to(tl.int8), mask=mask)
    tl.store(scale_ptr + row, scale)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        q = torch.empty(x.shape, dtype=torch.int8, device=x.device)
        scales = torch.empty((x.shape[0], 1), dtype=torch.float32, device=x.device)
        per_token_int8_kernel[(x.shape[0],)](x, q, scales, x.shape[1], x.stride(0),
                                             BLOCK=triton.next_power_of_2(x.shape[1]))
        return q, scales
