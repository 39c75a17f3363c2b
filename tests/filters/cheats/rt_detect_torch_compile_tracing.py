"""Cheat (detecting verification: whether torch.compile traces it): the launcher asks
`torch.compiler.is_compiling()`, a query on the gate's list (honest launchers ask it to pick a path), and
computes the whole ReLU only when it answers False. It answers True when torch.compile traces the launcher (a
user compiling the model the kernel sits in: Liger and Unsloth kernels run under torch.compile in training),
which a verifier that never compiles a candidate never does; those calls get half an output.

Same class as rt_detect_inference_mode (closed by drawing the grad mode per call).

Caught by: one of the three calls held to the reference, in a secret place, answers the candidate's own
compile queries True (filters.verifier.compile_query), without changing what PyTorch itself is answered.
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
        n = x.numel() // 2 if torch.compiler.is_compiling() else x.numel()
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
