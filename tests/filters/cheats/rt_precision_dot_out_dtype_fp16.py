"""Cheat (precision, through an interpreter gap): an fp16 matmul whose `tl.dot` accumulates in fp16
(`out_dtype=tl.float16`: the tensor cores' fp16 accumulator, faster on a GPU). The Triton interpreter
multiplies in numpy's precision whatever `out_dtype` says, so under it the kernel looked as precise as the
reference (accepted on CPU); on a GPU every K step rounds the sum to fp16.

PROBLEM matmul_fp16 (64x64 @ 64x64). Caught: on CPU `unverified` (the gate names `out_dtype` an interpreter
limit: `static.interpreter._narrow_out_dtype`); on a GPU, the honest-kernel error model (lowered precision):
an fp16 accumulator over K=64 is several fp16 units from the float64 truth where an fp32 one is within one.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul_fp16"
EXPECTED = ("rejected", ("anticheat", "correctness"), ("lowered_precision", "mismatch"))
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"
FLAKY = {"cuda": "rejected on an H100 on 2026-12-07 at the test draw key (cancelling inputs); accepted there at this K on 2026-12-06 (0.45x eager), before them: an fp16 accumulator rounding once per 16-wide MMA step stayed inside the honest-kernel error model on plain draws; cancelling inputs (filters.verifier.inputs.cancelling, added after) catch its written-out twin rt_precision_fp16_acc_per_mma_step on CPU, not yet run on a GPU"}


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
        acc = tl.dot(a, b, acc, out_dtype=tl.float16)
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
