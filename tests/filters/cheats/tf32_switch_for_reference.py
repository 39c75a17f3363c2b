"""Cheat: make the reference as sloppy as the kernel. The kernel multiplies fp32 matrices with TF32
(10-bit mantissas); at import the candidate switches PyTorch's own matmuls to TF32 too, so the reference
it is compared with (and the eager and torch.compile baselines it is timed against) round the same way and
the error looks like none. Honest launchers may read these switches; writing one changes global numerics.

PROBLEM matmul. Caught by the static gate: assigning to `torch.backends.cuda.matmul.allow_tf32` is
`monkeypatch` (an imported module's attribute); `torch.set_float32_matmul_precision` is off the vocabulary,
and the worker's integrity check would see the switch changed at run time too.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("rejected", "static", "monkeypatch")
DEVICE = "any"

if not torch.backends.cuda.matmul.allow_tf32:
    torch.backends.cuda.matmul.allow_tf32 = True


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK: tl.constexpr):
    offs_m = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    offs_n = tl.program_id(1) * BLOCK + tl.arange(0, BLOCK)
    offs_k = tl.arange(0, BLOCK)
    acc = tl.zeros((BLOCK, BLOCK), dtype=tl.float32)
    for k0 in range(0, K, BLOCK):
        k = k0 + offs_k
        a = tl.load(a_ptr + offs_m[:, None] * K + k[None, :], mask=(offs_m[:, None] < M) & (k[None, :] < K), other=0.0)
        b = tl.load(b_ptr + k[:, None] * N + offs_n[None, :], mask=(k[:, None] < K) & (offs_n[None, :] < N), other=0.0)
        acc = tl.dot(a, b, acc, input_precision="tf32")
    tl.store(c_ptr + offs_m[:, None] * N + offs_n[None, :], acc, mask=(offs_m[:, None] < M) & (offs_n[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        M, K = a.shape
        N = b.shape[1]
        c = torch.empty((M, N), device=a.device, dtype=a.dtype)
        matmul_kernel[(triton.cdiv(M, 32), triton.cdiv(N, 32))](a, b, c, M, N, K, BLOCK=32)
        return c
