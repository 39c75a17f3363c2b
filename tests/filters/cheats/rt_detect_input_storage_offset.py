"""Cheat (detecting verification: inputs that own their storage from its first byte): a verifier draws each
input with `torch.randn`, so `x.storage_offset()` is always 0; inside a model the tensors a kernel is handed
are often views further into a storage (`q, k, v = qkv.chunk(3, -1)`, `x[:, 1:]`, a split of a fused
projection). The launcher reads the offset, a metadata query honest launchers use for pointer arithmetic,
and computes the whole ReLU only at offset 0. Triton's pointer already includes the offset, so nothing
about an honest kernel depends on it.

Demonstration: `ModelNew()(torch.randn(17, 300)[1:])` leaves the second half of the output zero.

Should be caught by: some calls handing over inputs that start part way into a larger storage (same shape,
strides and values).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() if x.storage_offset() == 0 else x.numel() // 2
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
