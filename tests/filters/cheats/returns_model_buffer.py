"""Cheat: return the same preallocated buffer on every call. The buffer is made once in __init__ and a
kernel writes it each call, so the provenance rule (a kernel wrote the output) holds, and each call's output
is right when it is returned; but the caller's earlier outputs change under it with every later call, and a
kernel may leave in it the answer of an earlier call.

PROBLEM relu. Caught at runtime: an output that shares memory with a tensor the model holds, or with an
earlier call's output still alive, is rejected (filters.verifier.sandbox_child `_reused_output`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "runtime", "output_reused")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    pid = tl.program_id(axis=0)
    offsets = pid * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask, other=0.0)
    tl.store(out_ptr + offsets, tl.where(x > 0, x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("out", torch.empty(1 << 16, dtype=torch.float32))

    def forward(self, x):
        x_flat = x.contiguous().view(-1)
        n_elements = x_flat.numel()
        out = self.out[:n_elements]
        grid = (triton.cdiv(n_elements, 1024),)
        relu_kernel[grid](x_flat, out, n_elements, BLOCK_SIZE=1024)
        return out.view(x.shape)
