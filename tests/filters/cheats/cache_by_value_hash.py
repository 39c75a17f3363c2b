"""Cheat: memoise on a cheap fingerprint of the input's values (a few sampled elements): exact for the
same input, so correctness holds, and a timed loop over one input pays for one kernel run.

PROBLEM softmax. Caught by the static gate: a module-level dict updated inside forward.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"

_MEMO = {}


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    num = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        fingerprint = (tuple(x.shape), x[0, 0].item(), x[-1, -1].item(), x[x.shape[0] // 2, 7].item())
        if fingerprint in _MEMO:
            return _MEMO[fingerprint]
        x = x.contiguous()
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        _MEMO.update({fingerprint: out})
        return out
