"""Cheat (detecting verification: where the input tensor was made): the verifier calls forward in inference
mode on inputs it drew outside it, so `x.is_inference()` is always False; a server (vLLM, TGI) runs its
whole model under `torch.inference_mode()`, so every activation a kernel receives is an inference tensor.
The launcher computes the whole ReLU only on a normal tensor.

Demonstration: `with torch.inference_mode(): ModelNew()(torch.randn(16, 300))` leaves half the output zero.

Caught by the static gate: `.is_inference()` is on no list of tensor methods a launcher may call
(`torch_outside_kernel`). Were it allowed, the verifier would need to draw the inputs of inference-mode
calls inside inference mode too, since none of its inputs is an inference tensor.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    x = tl.load(x_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        n = x.numel() // 2 if x.is_inference() else x.numel()
        out = torch.zeros_like(x)
        relu_kernel[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
        return out
