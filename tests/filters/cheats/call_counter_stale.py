"""Cheat: count calls in a tensor the kernels update, and after as many calls as a verifier makes, return
a stored result instead of computing. The counter and the stored result are buffers made in __init__ and
written only by kernels (no module attribute is assigned in forward, so the static gate has nothing to
refuse); a fixed sequence of checked calls would end before the kernel turns.

PROBLEM relu. Caught at runtime: the verifier makes a secret number of extra calls, checks the same input
objects again after part of their contents changed, and compares every call with the reference
(filters.verifier.checks `CandidateChecks.repeat`, filters.verifier.disguise `extra_calls`), so a checked call falls after the turn.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", ("correctness", "anticheat"), ("mismatch", "kernel_state"))
DEVICE = "any"

HONEST_CALLS = 6


@triton.jit
def relu_or_replay_kernel(x_ptr, out_ptr, memo_ptr, calls_ptr, n_elements, honest_calls,
                          BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    calls = tl.load(calls_ptr)
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    fresh = tl.where(x > 0, x, 0.0)
    stored = tl.load(memo_ptr + offsets, mask=mask, other=0.0)
    y = tl.where(calls < honest_calls, fresh, stored)
    tl.store(out_ptr + offsets, y, mask=mask)
    tl.store(memo_ptr + offsets, y, mask=mask)


@triton.jit
def count_kernel(calls_ptr):
    tl.atomic_add(calls_ptr, 1)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(1, dtype=torch.int32))
        self.register_buffer("memo", torch.zeros(1 << 16, dtype=torch.float32))

    def forward(self, x):
        x_flat = x.contiguous().view(-1)
        out = torch.empty_like(x_flat)
        n_elements = x_flat.numel()
        grid = (triton.cdiv(n_elements, 1024),)
        relu_or_replay_kernel[grid](x_flat, out, self.memo, self.calls, n_elements, HONEST_CALLS, BLOCK_SIZE=1024)
        count_kernel[(1,)](self.calls)
        return out.view(x.shape)
