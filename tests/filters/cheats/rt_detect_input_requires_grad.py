"""Cheat (detecting verification: whether the input takes part in autograd): the launcher reads
`x.requires_grad`, a flag honest launchers read to decide whether to save tensors for backward, and
computes the whole ReLU only when it is False. Inside a network being trained, the activations a kernel
is handed require grad; a harness that draws its inputs with `torch.randn` and never marks them hands over
only tensors that do not, however it sets the grad mode around the call.

Demonstration: `ModelNew()(x.requires_grad_())` leaves the second half zero.

Caught by: on calls with autograd on, the floating inputs require grad, as a trained network's activations
do (filters.verifier.sandbox_child `_inputs_in_training`); the grad modes are drawn per call and the first
checked call's repeats go through all three, so half the output goes missing on a checked call.
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
        n = x.numel() // 2 if x.requires_grad else x.numel()
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
