"""Honest: per-token int8 quantisation multiplying by the reciprocal of the scale (own code, the idiom of quant
kernels that compute `inv_scale` once per row and multiply, and of PyTorch's own CUDA division by a Python
scalar): `x * (127 / amax)` and `x / (amax / 127)` are the same number up to one rounding, so a value within an
ulp of a half-integer rounds to the other neighbour. Such an element is a rounding tie of the problem itself
(the float64 answer moves across it when the inputs move by a rounding), not an error: held exactly, this kernel
was rejected on some draws (1 draw key in 6 here), as the GPU's arithmetic got honest fp8 quantisers rejected on
an H100.

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
def _round_half_even(v):
    r = tl.floor(v)
    frac = v - r
    odd = (r - 2.0 * tl.floor(r * 0.5)) != 0.0
    return r + tl.where((frac > 0.5) | ((frac == 0.5) & odd), 1.0, 0.0)


@triton.jit
def _int8_rows(x_ptr, q_ptr, scale_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    amax = tl.maximum(tl.max(tl.abs(x), axis=0), 1e-10)
    inv_scale = 127.0 / amax
    q = tl.minimum(tl.maximum(_round_half_even(x * inv_scale), -128.0), 127.0)
    tl.store(q_ptr + row * n_cols + cols, q.to(tl.int8), mask=mask)
    tl.store(scale_ptr + row, amax / 127.0)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        q = torch.empty((rows, cols), dtype=torch.int8, device=x.device)
        scale = torch.empty((rows, 1), dtype=torch.float32, device=x.device)
        _int8_rows[(rows,)](x, q, scale, cols, x.stride(0), BLOCK=triton.next_power_of_2(cols))
        return q, scale
