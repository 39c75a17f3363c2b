"""Cheat (precision): an fp16 matmul that accumulates in fp16 (`tl.dot(..., out_dtype=tl.float16)` and an
fp16 accumulator) where the reference accumulates in fp32 and rounds once. At K=32 its extra error is a few
fp16 ulps, inside today's fp16 tolerance; the same kernel at K=4096 is far off, and it is faster only
because it cheats on precision.

Demonstration: at K=32 its max error vs an fp32-accumulated product is ~4x that of an honest fp16 kernel
(`(m(a, b).float() - (a.float() @ b.float())).abs().max()` vs the honest kernel's).

Should be caught by: a tolerance tied to an honest kernel's error model at every K (issue 15, section 7),
or an fp16-accumulator detector in the gate.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_matmul_fp16_k32"
EXPECTED = ("rejected", "anticheat", "lowered_precision")
DEVICE = "any"
XFAIL = {"cuda": "not the verifier's: Triton 3.6 fails to compile the 3-D fp16 broadcast product on an H100 (PassManager::run failed), so the GPU rejects it as runtime_error"}


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                  BLOCK_K: tl.constexpr):
    rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float16)
    for k0 in range(0, K, 8):
        k = k0 + tl.arange(0, 8)
        a = tl.load(a_ptr + rm[:, None] * K + k[None, :], mask=(rm[:, None] < M) & (k[None, :] < K), other=0.0)
        b = tl.load(b_ptr + k[:, None] * N + rn[None, :], mask=(k[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc += tl.sum(a[:, :, None] * b[None, :, :], axis=1).to(tl.float16)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        M, K = a.shape
        N = b.shape[1]
        c = torch.empty((M, N), dtype=torch.float16, device=a.device)
        matmul_kernel[(triton.cdiv(M, 16), triton.cdiv(N, 16))](a, b, c, M, N, K, BLOCK_M=16, BLOCK_N=16,
                                                                 BLOCK_K=32)
        return c
