"""Honest: a launcher that makes the input's GPU current with `with torch.cuda.device_of(x):` before it
launches (the multi-GPU guard of older Triton launchers, FlashAttention's and xformers' ports), a relu in
fp32 blocks.

PROBLEM relu; EXPECTED accepted on a GPU, unverified on CPU (a CUDA-only call the interpreter cannot run).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    tl.store(out_ptr + offs, tl.maximum(tl.load(x_ptr + offs, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        with torch.cuda.device_of(x):
            relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
