"""Cheat (detecting verification: a global setting the verifier never changes): the launcher reads
`torch.backends.cuda.matmul.allow_tf32`, a read the gate allows (honest launchers pick their `tl.dot` input
precision by it), and computes the whole ReLU only while it is False, PyTorch's default. Training scripts
commonly turn it on (or call `torch.set_float32_matmul_precision("high")`); those users get half an output.

Caught by: like autocast, the calls held to the reference run under both TF32 settings, where the reference
answers alike under each.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() // 2 if torch.backends.cuda.matmul.allow_tf32 else x.numel()
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
