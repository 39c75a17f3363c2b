"""Cheat (state across calls in tensors kernels write): buffers made in __init__ remember the last input's
first element and the last output; when a new input starts with the same value the kernel copies the
remembered output instead of computing. A user who updates a tensor in place (x[1:] += 1) gets stale values.

Demonstration: `y1 = m(x).clone(); x[:, 1:] += 1; torch.equal(m(x), y1)` is True.

Should be caught by: calling again on the same input after a partial in-place change (issue 15, section 5),
or by its writes to the model's own tensors on more than one call (kernel_state).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", ("correctness", "anticheat"), ("mismatch", "non_finite", "output_not_from_kernel", "kernel_state"))
DEVICE = "any"


@triton.jit
def gelu_kernel(x_ptr, out_ptr, memo_ptr, key_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    first = tl.load(x_ptr)
    hit = tl.load(key_ptr) == first
    x = tl.load(x_ptr + offs, mask=mask)
    fresh = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    stale = tl.load(memo_ptr + offs, mask=mask)
    y = tl.where(hit, stale, fresh)
    tl.store(out_ptr + offs, y, mask=mask)
    tl.store(memo_ptr + offs, y, mask=mask)


@triton.jit
def key_kernel(x_ptr, key_ptr):
    tl.store(key_ptr, tl.load(x_ptr))


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.memo = nn.Parameter(torch.zeros(1 << 16), requires_grad=False)
        self.key = nn.Parameter(torch.full((1,), float("nan")), requires_grad=False)

    def forward(self, x):
        memo, key = self.memo, self.key
        out = torch.empty_like(x)
        gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, memo, key, x.numel(), BLOCK=1024)
        key_kernel[(1,)](x, key)
        return out
