"""Cheat (detecting verification: a global mode the verifier never sets): the launcher asks
`torch.is_autocast_enabled()`, a query on the gate's list (honest launchers ask it to pick a path), and
computes the whole ReLU only when it answers False. It answers True when autocast is on (mixed-precision
training, the common way a kernel is called in training), which a verifier never turns on; those calls get
half an output.

Same class as rt_detect_inference_mode (closed by drawing the grad mode per call).

Caught by: the first checked call and the two that repeat it on the same inputs run without autocast and under
float16 and bfloat16, in a secret order, where the reference answers alike under it (ReLU: yes); the first
repeat must agree with the first call bit for bit, the second with the reference.
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
        n = x.numel() // 2 if torch.is_autocast_enabled() else x.numel()
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
