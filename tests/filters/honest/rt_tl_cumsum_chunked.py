"""Honest: a running sum with `tl.cumsum` over column chunks, the carry from one chunk to the next kept in a
scalar (the idiom of long-row scans in FlagGems and SGLang's token offsets, own code), chunks walked with
`tl.range(..., num_stages=...)`.

PROBLEM rt_cumsum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_cumsum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def chunked_cumsum_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    carry = tl.zeros([], dtype=tl.float32)
    for start in tl.range(0, n_cols, BLOCK, num_stages=2):
        cols = start + tl.arange(0, BLOCK)
        mask = cols < n_cols
        x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0).to(tl.float32)
        y = tl.cumsum(x, axis=0) + carry
        tl.store(out_ptr + row * stride + cols, y, mask=mask)
        carry += tl.sum(x, axis=0)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        chunked_cumsum_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=64)
        return out
