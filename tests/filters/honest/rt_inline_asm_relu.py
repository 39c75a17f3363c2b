"""Honest: a ReLU through `tl.inline_asm_elementwise` (PTX `max.f32`), as triton_kernels and some
FlashAttention ports reach instructions Triton has no name for (own code). PTX runs on an NVIDIA GPU only: the
interpreter cannot run it (`unverified` on CPU).

PROBLEM relu; EXPECTED accepted on a GPU, unverified on CPU.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", ("static", "correctness"), "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def _relu_asm(x_ptr, y_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask, other=0.0)
    y = tl.inline_asm_elementwise("max.f32 $0, $1, 0f00000000;", "=r,r", [x], dtype=tl.float32, is_pure=True,
                                  pack=1)
    tl.store(y_ptr + offs, y, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        n = x.numel()
        _relu_asm[(triton.cdiv(n, 1024),)](x, y, n, BLOCK=1024)
        return y
