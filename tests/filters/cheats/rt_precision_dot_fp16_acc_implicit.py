"""Cheat (precision, through an interpreter gap the gate reads by keyword only): an fp16 matmul whose
`tl.dot` accumulates in fp16 without naming `out_dtype`. Since Triton 3.9, `tl.dot(a, b, acc)` with
`out_dtype` left at None takes the accumulator's dtype (`semantic.dot`: `out_dtype = acc.type.element_ty`),
so an fp16 `acc = tl.zeros(..., tl.float16)` makes the tensor cores accumulate in fp16, exactly as
`out_dtype=tl.float16` does (rt_precision_dot_out_dtype_fp16). The gate's `_narrow_out_dtype` looks only
at an `out_dtype=` keyword, so nothing marks the kernel an interpreter limit, and the interpreter multiplies
in numpy's precision.

PROBLEM matmul_fp16. Caught on CPU all the same: the interpreter adds each step's product into the fp16
accumulator, rounding as a GPU does, and the cancelling inputs show it (lowered_precision). The gate's
`_narrow_out_dtype` would still let the `out_dtype=` spelling's CPU gap through under this one (an
accumulator that is not fp32 given without `out_dtype`), should the interpreter's dot change.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "matmul_fp16"
EXPECTED = ("rejected", ("anticheat", "correctness"), ("lowered_precision", "mismatch"))
DEVICE = "any"
FLAKY = {"cuda": "as rt_precision_dot_out_dtype_fp16: an fp16 MMA accumulator stayed inside the error model on plain draws on an H100; the cancelling inputs that catch it under the interpreter have not run on a GPU"}


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
        acc = tl.dot(a, b, acc)  # out_dtype None: the accumulator's dtype, fp16
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
