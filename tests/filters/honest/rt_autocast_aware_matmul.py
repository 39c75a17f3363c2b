"""Honest: an fp32 matmul whose launcher follows the user's autocast, as mixed-precision GEMM wrappers do
(`torch.cuda.amp.custom_fwd(cast_inputs=...)`, apex-style fused layers): under autocast it casts both
operands to the autocast dtype, multiplies them on the tensor cores with an fp32 accumulator, and returns
the product in that dtype, as `torch.matmul` under autocast does; outside autocast it multiplies in full
fp32 ("ieee"). Under autocast the reference's own answer would move (to fp16 or bf16), so the verifier holds
such a call to the plain answer at the autocast dtype's precision (checks.CandidateChecks.precision_allowed);
the cast is the user's mode, not a lowered precision. On CPU the call under autocast to bf16 hands the kernel
bf16 tensors, whose arithmetic the Triton interpreter cannot do: `unverified` there, never rejected.

PROBLEM matmul; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul"
EXPECTED = ("accepted", "correctness", "ok")
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
        acc += tl.dot(a, b, input_precision="ieee")  # full fp32 products for fp32 operands; fp16/bf16 as they are
    c = acc.to(c_ptr.dtype.element_ty)
    tl.store(c_ptr + rm[:, None] * N + rn[None, :], c, mask=(rm[:, None] < M) & (rn[None, :] < N))


class ModelNew(nn.Module):
    def forward(self, a, b):
        dtype = a.dtype
        if torch.is_autocast_enabled():
            dtype = torch.get_autocast_dtype("cuda")
            a, b = a.to(dtype), b.to(dtype)
        a, b = a.contiguous(), b.contiguous()
        M, K = a.shape
        N = b.shape[1]
        c = torch.empty(M, N, device=a.device, dtype=dtype)
        matmul_kernel[(triton.cdiv(M, 32), triton.cdiv(N, 32))](a, b, c, M, N, K, BLOCK_M=32, BLOCK_N=32, BLOCK_K=32)
        return c
