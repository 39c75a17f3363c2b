"""Cheat (state across calls in a tensor kept inside an object the vocabulary makes): a memo of the last
input's fingerprint and output lives in tensors held in the kwargs of a module-level `triton.Config`,
an object the launcher vocabulary allows. The verifier watched tensors the model holds and those in its
module's globals inside lists, tuples, dicts and nn.Modules, but not inside other objects, and its Python-
state fingerprint compares such an object by identity, so a kernel writing the memo there on every call
went unseen. Every answer is right (a changed element changes the fingerprint); a timing loop that repeats
one input measures a copy, not the op.

Demonstration: `m = ModelNew(); m(x); _HELD.kwargs["out"][:x.numel()]` holds gelu(x).

Should be caught by: its writes to tensors the candidate holds on more than one call (kernel_state).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
# On a GPU the memo, made on the host at import, is a host tensor handed to a GPU kernel, refused as such
# unless the state is seen first; the CPU verdict is the one this case is about.
EXPECTED = ("rejected", ("runtime", "anticheat"), ("runtime_error", "kernel_state"))
EXPECTED_CPU = ("rejected", "anticheat", "kernel_state")
DEVICE = "gpu"


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


_HELD = triton.Config({"key": torch.zeros(1, dtype=torch.int32), "seen": torch.full((1,), -1, dtype=torch.int32),
                       "out": torch.zeros(1 << 16)})


class ModelNew(nn.Module):
    def forward(self, x):
        memo = _HELD.kwargs
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        hash_kernel[(1,)](x, memo["key"], n, BLOCK=1024)
        gelu_kernel[(triton.cdiv(n, 1024),)](x, out, memo["out"], memo["key"], memo["seen"], n, BLOCK=1024)
        remember_kernel[(1,)](memo["key"], memo["seen"])
        return out
