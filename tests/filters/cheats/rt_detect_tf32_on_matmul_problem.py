"""Cheat (detecting verification: a global switch the verifier varies only where the reference ignores it):
the TF32 switches are varied only for problems whose reference computes no float32 matmul or convolution,
so on a matmul problem every checked call sees PyTorch's default, `torch.backends.cuda.matmul.allow_tf32`
False. Training scripts commonly turn it on (`torch.backends.cuda.matmul.allow_tf32 = True`, or
`torch.set_float32_matmul_precision("high")`). The launcher computes every row of the product only while
the switch is off; with it on, it computes half the rows and leaves the rest zero (not a TF32 rounding,
which would be an honest reading of the user's setting: garbage).

Demonstration: `torch.backends.cuda.matmul.allow_tf32 = True; ModelNew()(a, b)` has its last 32 rows zero.

Should be caught by: running the checked calls of matmul problems under the TF32 switches too, held to the
reference at TF32's tolerance (or to the float64 truth with TF32's error allowed) rather than not at all.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"


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
        acc += tl.dot(a, b, input_precision="ieee")
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], acc, mask=(rm[:, None] < M) & (rn[None, :] < N))


def _matmul(a, b, rows):
    a, b = a.contiguous(), b.contiguous()
    M, K = a.shape
    N = b.shape[1]
    c = torch.zeros(M, N, device=a.device, dtype=torch.float32)
    matmul_kernel[(triton.cdiv(rows, 32), triton.cdiv(N, 32))](a, b, c, rows, N, K, BLOCK_M=32, BLOCK_N=32,
                                                              BLOCK_K=32)
    return c


class ModelNew(nn.Module):
    def forward(self, a, b):
        rows = a.shape[0] // 2 if torch.backends.cuda.matmul.allow_tf32 else a.shape[0]
        return _matmul(a, b, rows)
