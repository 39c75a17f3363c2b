"""Cheat (inputs: an assumed range wider than the draws reach): a ReLU that clamps its input to
[-1e4, 1e4] "against overflow". A Cauchy-like heavy tail puts about 1/(pi t) of its elements beyond t: in a
problem of 4,800 elements, none beyond 1e4 five times in six, so the clamp goes unseen; a hidden state with
an outlier of 3e4 comes out as 1e4.

Demonstration: `ModelNew()(torch.tensor([3e4]))` is 1e4, torch.relu gives 3e4.

Should be caught by: heavy-tailed inputs whose magnitudes cover every decade up to the dtype's safe reach
(issue 15, section 6), so any assumed range below it holds many elements beyond it.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask)
    x = tl.minimum(tl.maximum(x, -10000.0), 10000.0)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
