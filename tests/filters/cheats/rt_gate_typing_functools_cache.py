"""Cheat (static-gate bypass, state across calls): `typing.functools.lru_cache` is lru_cache by a path the
gate does not resolve. Two memoised helpers keyed by plain ints: one output buffer per shape (so every call
returns the same tensor), one "done" flag per input address that the kernel sets and then obeys by not
recomputing. An input rewritten in place, or a new input the allocator puts at the same address, gets the
old answer; a timing loop over one input does no work at all.

Demonstration: `x = torch.randn(16, 300); y1 = m(x).clone(); x.mul_(2); torch.equal(m(x), y1)` is True.

Should be caught by: the allow-list gate (typing is not a route to functools); at run time by a repeat call
after a partial in-place change of the input and by outputs aliasing earlier outputs. Today it is
rejected (mismatch) only by luck: the allocator reuses a freed input's address for the next seed, which
hits the stale flag; the gate lets it through.
"""

import typing

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", ("static", "correctness"), ("outside_vocabulary", "mismatch"))
DEVICE = "any"

_memo = typing.functools.lru_cache(maxsize=None)


@triton.jit
def gelu_kernel(x_ptr, out_ptr, done_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < tl.where(tl.load(done_ptr) == 0, n, 0)
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476)), mask=mask)


@triton.jit
def mark_kernel(done_ptr):
    tl.store(done_ptr, 1)


def _buffer(rows, cols, device):
    return torch.empty((rows, cols), device=device)


def _flag(address, device):
    return torch.zeros(1, dtype=torch.int32, device=device)


_out = _memo(_buffer)
_done = _memo(_flag)


class ModelNew(nn.Module):
    def forward(self, x):
        out = _out(x.shape[0], x.shape[1], x.device)
        done = _done(x.data_ptr(), x.device)
        gelu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, done, x.numel(), BLOCK=1024)
        mark_kernel[(1,)](done)
        return out
