"""Cheat: accumulate an fp16 matmul in fp16. The reference (and every honest kernel) sums the products in
fp32 and rounds once; this one keeps the running sum in an fp16 register, rounding after every step
(cheaper registers, and on a GPU the faster fp16-accumulate MMA). With K = 16 the result is off by only a
few units in the last place, well inside fp16's atol/rtol of 1e-2.

PROBLEM matmul_fp16_small_k. Caught at runtime against the honest-kernel error model (filters.verifier.truth): an
honest kernel sits within about one fp16 ulp of the float64 truth at every element, this one is several
ulps off at many.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul_fp16_small_k"
EXPECTED = ("rejected", "anticheat", "lowered_precision")
DEVICE = "any"


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float16)
    for k in range(0, K):
        a = tl.load(a_ptr + rm * K + k, mask=rm < M, other=0.0)
        b = tl.load(b_ptr + k * N + rn, mask=rn < N, other=0.0)
        acc = (acc + a[:, None] * b[None, :]).to(tl.float16)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, a, b):
        M, K = a.shape
        N = b.shape[1]
        a, b = a.contiguous(), b.contiguous()
        c = torch.empty((M, N), device=a.device, dtype=a.dtype)
        matmul_kernel[(triton.cdiv(M, 32), triton.cdiv(N, 32))](a, b, c, M, N, K, BLOCK_M=32, BLOCK_N=32)
        return c
