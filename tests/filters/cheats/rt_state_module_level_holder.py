"""Cheat (state across calls in a module-level nn.Module): a memo of the last input's fingerprint and
output lives in buffers of an nn.Module made at module level, not attached to the model. A hash kernel
fingerprints the input (an xor of its bits mixed with their positions); when the fingerprint matches the
remembered one, the main kernel copies the remembered output instead of computing. Every answer is right
(a changed element changes the fingerprint), but a timing loop that repeats one input measures a copy,
not the op: on an expensive op that is a free speedup, and the memo is state kept across calls that the
design forbids. The verifier watched tensors the model holds, its module's globals and containers, but
not tensors held by an nn.Module that is itself a global.

Demonstration: `m = ModelNew(); m(x); _HELD.key` holds x's fingerprint and `_HELD.out` gelu(x).

Should be caught by: its writes to tensors the candidate holds on more than one call (kernel_state).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "anticheat", "kernel_state")
DEVICE = "any"


@triton.jit
def hash_kernel(x_ptr, key_ptr, n, BLOCK: tl.constexpr):
    acc = tl.zeros((BLOCK,), dtype=tl.int32)
    for start in range(0, n, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        bits = tl.load(x_ptr + offs, mask=offs < n, other=0.0).to(tl.int32, bitcast=True)
        acc = acc ^ (bits * 31 + offs)
    tl.store(key_ptr, tl.reduce_or(acc, 0) + tl.sum(acc, 0))


@triton.jit
def gelu_kernel(x_ptr, out_ptr, memo_ptr, key_ptr, seen_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    hit = tl.load(key_ptr + offs * 0) == tl.load(seen_ptr + offs * 0)
    x = tl.load(x_ptr + offs, mask=mask & ~hit)
    fresh = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    y = tl.where(hit, tl.load(memo_ptr + offs, mask=mask & hit), fresh)
    tl.store(out_ptr + offs, y, mask=mask)
    tl.store(memo_ptr + offs, y, mask=mask & ~hit)


@triton.jit
def remember_kernel(key_ptr, seen_ptr):
    tl.store(seen_ptr, tl.load(key_ptr))


class _Memo(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("key", torch.zeros(1, dtype=torch.int32))
        self.register_buffer("seen", torch.full((1,), -1, dtype=torch.int32))
        self.register_buffer("out", torch.zeros(1 << 16))


_HELD = _Memo()


class ModelNew(nn.Module):
    def forward(self, x):
        _HELD.to(x.device)  # a no-op once the memo lives beside the inputs
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        hash_kernel[(1,)](x, _HELD.key, n, BLOCK=1024)
        gelu_kernel[(triton.cdiv(n, 1024),)](x, out, _HELD.out, _HELD.key, _HELD.seen, n, BLOCK=1024)
        remember_kernel[(1,)](_HELD.key, _HELD.seen)
        return out
