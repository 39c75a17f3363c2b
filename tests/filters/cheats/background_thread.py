"""Cheat: return an allocated output at once and let a background thread launch the kernel that fills
it; the harness's timer stops before the work is done, and the values are usually there by the time they
are compared.

PROBLEM relu. Caught by the static gate: threading is never importable. (At runtime the child would also
see a thread left running after forward returned.)
"""

import threading

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "concurrency")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)

        def work():
            relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)

        threading.Thread(target=work, daemon=True).start()
        return out
