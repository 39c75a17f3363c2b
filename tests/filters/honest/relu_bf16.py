"""Honest: ReLU on bf16 inputs (loaded, compared in fp32, stored back as bf16).

PROBLEM relu_bf16; correct on a GPU, but the Triton interpreter cannot do bf16 arithmetic, so on CPU the
verdict is unverified before anything runs.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu_bf16"
EXPECTED = ("accepted", "correctness", "ok")
EXPECTED_CPU = ("unverified", "static", "interpreter_limit")
DEVICE = "gpu"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
    tl.store(out_ptr + offsets, tl.maximum(x, 0.0).to(out_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n_elements = x.numel()
        relu_kernel[(triton.cdiv(n_elements, 512),)](x, out, n_elements, BLOCK_SIZE=512)
        return out
