"""Cheat: tf32_dot (fp32 tl.dot without input_precision="ieee" runs in TF32 on NVIDIA tensor cores, wrong at
fp32's tolerance), with tl.dot imported by name (`from triton.language import dot`), which the gate's TF32
check, looking for `<module>.dot(...)`, did not see. On CPU the interpreter computes in full fp32 and
accepted it.

PROBLEM matmul (fp32). On a GPU, a mismatch. On CPU the static gate resolves the name (and a module-level
alias, `mma = tl.dot`, the way Unsloth aliases `triton_cast = tl.cast`) to tl.dot and marks the kernel
unverified (interpreter_limit) rather than accept it.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl
from triton.language import dot

PROBLEM = "matmul"
EXPECTED = ("rejected", "correctness", "mismatch")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def matmul_kernel(a_ptr, b_ptr, c_ptr, M, N, K, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
                  BLOCK_K: tl.constexpr):
    pid_m = tl.program_id(0)
    pid_n = tl.program_id(1)
    rm = pid_m * BLOCK_M + tl.arange(0, BLOCK_M)
    rn = pid_n * BLOCK_N + tl.arange(0, BLOCK_N)
    rk = tl.arange(0, BLOCK_K)
    acc = tl.zeros((BLOCK_M, BLOCK_N), dtype=tl.float32)
    for k0 in range(0, K, BLOCK_K):
        k = k0 + rk
        a = tl.load(a_ptr + rm[:, None] * K + k[None, :], mask=(rm[:, None] < M) & (k[None, :] < K), other=0.0)
        b = tl.load(b_ptr + k[:, None] * N + rn[None, :], mask=(k[:, None] < K) & (rn[None, :] < N), other=0.0)
        acc += dot(a, b)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, a, b):
        M, K = a.shape
        N = b.shape[1]
        a, b = a.contiguous(), b.contiguous()
        c = torch.empty((M, N), device=a.device, dtype=a.dtype)
        matmul_kernel[(triton.cdiv(M, 32), triton.cdiv(N, 32))](a, b, c, M, N, K, BLOCK_M=32, BLOCK_N=32, BLOCK_K=32)
        return c
