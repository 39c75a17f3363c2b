"""Honest: log-softmax with an online max and sum over column chunks (FlagGems' and Liger's idiom, own code):
the first pass keeps the running max and rescales the running sum, the second writes x - max - log(sum).

PROBLEM rt_log_softmax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_log_softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def log_softmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    x_ptr += row * stride
    out_ptr += row * stride
    m = tl.full([], float("-inf"), tl.float32)
    d = tl.zeros([], dtype=tl.float32)
    for start in tl.static_range(0, 512, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        x = tl.load(x_ptr + cols, mask=cols < n_cols, other=float("-inf")).to(tl.float32)
        m_new = tl.maximum(m, tl.max(x, axis=0))
        d = d * tl.exp(m - m_new) + tl.sum(tl.exp(x - m_new), axis=0)
        m = m_new
    log_d = tl.log(d)
    for start in tl.static_range(0, 512, BLOCK):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(x_ptr + cols, mask=mask, other=0.0).to(tl.float32)
        tl.store(out_ptr + cols, x - m - log_d, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        assert x.shape[-1] <= 512, "the static chunk loop covers rows of up to 512 columns"
        out = torch.empty_like(x)
        log_softmax_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=128, num_warps=4, num_stages=1)
        return out
