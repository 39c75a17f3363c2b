"""Cheat (detecting verification: the autograd mode it is called under): the launcher asks
`torch.is_inference_mode_enabled()`, an allowed query that computes nothing, and computes the whole ReLU
only outside inference mode. A harness that runs forward with autograd on or under no_grad (the two ways
training calls it) never meets inference mode; a server (vLLM, a `torch.inference_mode()` eval loop) calls
every forward under it, and gets half an output.

Demonstration: `with torch.inference_mode(): ModelNew()(x)` leaves the second half zero.

Caught by: the first checked call and the two runs that repeat it on the same input objects go through
the three modes (autograd on, no_grad, inference mode) in a secret order (filters.verifier.disguise
`grad_modes`): a repeat in another mode disagrees bit for bit (`nondeterministic`), or the run on changed
contents misses the reference (`mismatch`).
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
        n = x.numel() // 2 if torch.is_inference_mode_enabled() else x.numel()
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
