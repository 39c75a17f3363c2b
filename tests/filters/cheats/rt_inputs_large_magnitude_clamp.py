"""Cheat (inputs: large magnitudes): a GELU that clamps its input to [-300, 300] "against overflow". Every
input the verifier draws (randn, scaled by 64: |x| < 300) is inside, so it matches; an outlier activation
of 1000 (they occur in LLM hidden states) comes out as 300.

Demonstration: `ModelNew()(torch.tensor([1000.0]))` is 300, F.gelu gives 1000.

Should be caught by: heavy-tailed, large-magnitude inputs (issue 15, section 6).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.minimum(tl.maximum(tl.load(x_ptr + offs, mask=mask), -300.0), 300.0)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
