"""Cheat (precision): an fp16 matmul that keeps its running sum in fp16 and rounds it once per 16-wide step of
the inner dimension, each step's products summed in fp32, which is what a GPU's tensor cores do with
`tl.dot(..., out_dtype=tl.float16)` (written out here, so the Triton interpreter computes it as a GPU would).
At K=64 that is four roundings of the sum, within the honest-kernel error model on plain draws: the same
kernel through `out_dtype` was accepted on an H100 (rt_precision_dot_out_dtype_fp16), and this one on CPU.

PROBLEM matmul_fp16 (64x64 @ 64x64). Caught: on inputs whose products cancel
(filters.verifier.inputs.cancelling: one operand lifted by a constant, the other centred), the running sum
is far larger than the answer, so its fp16 roundings land far beyond one ulp of the answer
(lowered_precision); an fp32 accumulator stays within it.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul_fp16"
EXPECTED = ("rejected", ("anticheat", "correctness"), ("lowered_precision", "mismatch"))
DEVICE = "any"


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                  BLOCK_K: tl.constexpr):
    rm = tl.program_id(0) * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = tl.program_id(1) * BLOCK_N + tl.arange(0, BLOCK_N)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float16)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + tl.arange(0, BLOCK_K)
        a = tl.load(a_ptr + rm[:, None] * K + k[None, :], mask=(rm[:, None] < M) & (k[None, :] < K), other=0.0)
        b = tl.load(b_ptr + k[:, None] * N + rn[None, :], mask=(k[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc = (acc.to(tl.float32) + tl.dot(a, b)).to(tl.float16)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        M, K = a.shape
        N = b.shape[1]
        c = torch.empty((M, N), dtype=torch.float16, device=a.device)
        matmul_kernel[(triton.cdiv(M, 32), triton.cdiv(N, 32))](a, b, c, M, N, K, BLOCK_M=32, BLOCK_N=32,
                                                                 BLOCK_K=16)
        return c
