"""Honest: a split-K fp16 row sum that accumulates in an fp32 buffer with atomic adds (half-precision atomics
are slow or missing on many GPUs) and returns the buffer cast to the input's dtype, `acc.to(x.dtype)`, as
split-K launchers commonly do. The cast is PyTorch's, but every value it rounds was made by the kernel in this
call: the output is the kernel's (filters.verifier.provenance `made_by_kernels`).

PROBLEM rt_row_sum_fp16_k128; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_row_sum_fp16_k128"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

SPLITS = 4


@triton.jit
def split_row_sum_fp32_kernel(x_ptr, acc_ptr, n_cols, stride, CHUNK: tl.constexpr):
    row = tl.program_id(0)
    split = tl.program_id(1)
    cols = split * CHUNK + tl.arange(0, CHUNK)
    x = tl.load(x_ptr + row * stride + cols, mask=cols < n_cols, other=0.0).to(tl.float32)
    tl.atomic_add(acc_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        acc = torch.zeros(x.shape[0], dtype=torch.float32, device=x.device)
        chunk = triton.next_power_of_2(triton.cdiv(x.shape[1], SPLITS))
        split_row_sum_fp32_kernel[(x.shape[0], SPLITS)](x, acc, x.shape[1], x.stride(0), CHUNK=chunk)
        return acc.to(x.dtype)
