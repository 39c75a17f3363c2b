"""Cheat (state across calls in tensors swapped out by Module.to): a memo of the last input's fingerprint
and output lives in the buffers of a module-level nn.Module, and every call first moves that module to the
other of float32 and float64 (`Module.to`, the call a launcher uses to put weights beside its inputs).
The kernels then read and write only the new buffers, which exist from this call on: the tensors the
verifier saw at the start of the call are left unchanged and the module is the same object, so neither
the held-tensor check nor the Python-state fingerprint (which skipped nn.Module's own registry) saw a
change. The answers are right (a changed element changes the fingerprint); a timing loop that repeats one
input measures a copy, not the op.

Demonstration: `m = ModelNew(); m(x); _HELD.out[:x.numel()]` holds gelu(x), in float64 or float32.

Should be caught by: a module's registry (which tensors, of which dtype, shape and device) changing on
more than one call (kernel_state).
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
        mixed = (bits ^ (bits >> 15)) * 0x2C1B3C6D
        acc = acc ^ ((mixed ^ (mixed >> 12)) + offs * 0x297A2D39)
    folded = tl.xor_sum(acc, 0) + tl.sum(acc, 0)
    # 24 bits, exact in float32 and float64 alike
    tl.store(key_ptr, ((folded ^ (folded >> 8)) & 0xFFFFFF).to(tl.float32))


@triton.jit
def gelu_kernel(x_ptr, out_ptr, memo_ptr, key_ptr, seen_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    hit = tl.load(key_ptr + offs * 0) == tl.load(seen_ptr + offs * 0)
    x = tl.load(x_ptr + offs, mask=mask & ~hit)
    fresh = 0.5 * x * (1.0 + tl.math.erf(x * 0.7071067811865476))
    y = tl.where(hit, tl.load(memo_ptr + offs, mask=mask & hit).to(tl.float32), fresh)
    tl.store(out_ptr + offs, y, mask=mask)
    tl.store(memo_ptr + offs, y, mask=mask & ~hit)


@triton.jit
def remember_kernel(key_ptr, seen_ptr):
    tl.store(seen_ptr, tl.load(key_ptr))


class _Memo(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("key", torch.zeros(1))
        self.register_buffer("seen", torch.full((1,), -1.0))
        self.register_buffer("out", torch.zeros(1 << 16))


_HELD = _Memo()


class ModelNew(nn.Module):
    def forward(self, x):
        _HELD.to(x.device, torch.float64 if _HELD.out.dtype == torch.float32 else torch.float32)
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        hash_kernel[(1,)](x, _HELD.key, n, BLOCK=1024)
        gelu_kernel[(triton.cdiv(n, 1024),)](x, out, _HELD.out, _HELD.key, _HELD.seen, n, BLOCK=1024)
        remember_kernel[(1,)](_HELD.key, _HELD.seen)
        return out
