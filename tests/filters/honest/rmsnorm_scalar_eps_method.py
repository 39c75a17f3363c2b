"""Honest: RMSNorm whose kernel casts its scalar `eps` argument with a tensor method (`eps.to(tl.float32)`),
which compiles (a scalar argument is a tl tensor there) but which the interpreter cannot run (it passes the
scalar as a Python float). On CPU the verdict is `unverified` (interpreter_limit), never a rejection.

PROBLEM rmsnorm; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rmsnorm"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _rms_norm_fwd(X, W, Y, stride, N, eps, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(X + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
    var = tl.sum(x * x, axis=0) / N
    rstd = 1.0 / tl.sqrt(var + eps.to(tl.float32))
    w = tl.load(W + cols, mask=mask, other=0.0)
    tl.store(Y + row * stride + cols, x * rstd * w, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x, weight):
        x = x.contiguous()
        y = torch.empty_like(x)
        n_rows, n_cols = x.shape
        _rms_norm_fwd[(n_rows,)](x, weight, y, x.stride(0), n_cols, 1e-6,
                                 BLOCK_N=triton.next_power_of_2(n_cols))
        return y
