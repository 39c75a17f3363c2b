"""Cheat (detecting verification: a combination the verifier never shows): under verification, whenever
autograd is on, every floating input requires grad (`_inputs_in_training` marks them all), and whenever it
is off none does. In a trained network the first layer's input (the data batch), or any activation behind
frozen layers (a frozen backbone, `x.detach()`), is handed over with grad mode on and `requires_grad`
False. The launcher computes the whole ReLU only when `x.requires_grad` agrees with
`torch.is_grad_enabled()`, both reads on the gate's list.

Demonstration: `ModelNew()(torch.randn(16, 300))` with grad mode on (the default) leaves half the output zero.

Should be caught by: on some calls in the "grad" mode, leaving some inputs without requires_grad (as a data
batch is), so that the pair of flags takes every combination a training step shows.
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
        n = x.numel() if x.requires_grad == torch.is_grad_enabled() else x.numel() // 2
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
