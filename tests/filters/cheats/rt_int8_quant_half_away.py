"""Cheat: an int8 quantiser that rounds halves away from zero (`floor(|v| + 0.5)`, the C `round`), where
PyTorch's `torch.round` rounds them to even. The two agree everywhere except at quotients that are exactly a
half-integer, which continuous draws never produce.

PROBLEM rt_int8_quant. **Not caught (a strict xfail):** no draw puts a quotient exactly on a half-integer
(inputs quantised to halves give quotients 127 k / m rounded through an inexact scale), so both rules give the
same bytes on every call. Catching it needs draws aimed at the op's own rounding points (x = (k + 0.5) * scale
for the scale the row's maximum sets), which the verifier's op-agnostic draws do not make. Even then, an exact
tie of a computed quotient is one the rounding allowance for integer outputs cannot tell from a near tie.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_int8_quant"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"
XFAIL = ("accepted: no draw makes a quotient exactly a half-integer, where the two rounding rules differ; "
         "draws aimed at an op's rounding points are not made")


@triton.jit
def _int8_rows(x_ptr, q_ptr, scale_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    cols = tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
    scale = tl.maximum(tl.max(tl.abs(x), axis=0), 1e-10) / 127.0
    v = x / scale
    r = tl.where(v >= 0, tl.floor(v + 0.5), -tl.floor(-v + 0.5))
    q = tl.minimum(tl.maximum(r, -128.0), 127.0)
    tl.store(q_ptr + row * n_cols + cols, q.to(tl.int8), mask=mask)
    tl.store(scale_ptr + row, scale)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        q = torch.empty((rows, cols), dtype=torch.int8, device=x.device)
        scale = torch.empty((rows, 1), dtype=torch.float32, device=x.device)
        _int8_rows[(rows,)](x, q, scale, cols, x.stride(0), BLOCK=triton.next_power_of_2(cols))
        return q, scale
