"""Cheat: try the kernel, fall back to PyTorch when it fails (a kernel that raises, or fails to compile,
still yields the right answer).

PROBLEM softmax. Caught by the static gate: try/except (and the torch.softmax in the handler).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "fallback")
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    # deliberately wrong: no mask, no max subtraction
    x = tl.load(x_ptr + row * n_cols + offs)
    num = tl.exp(x)
    tl.store(out_ptr + row * n_cols + offs, num / tl.sum(num, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.empty_like(x)
        try:
            softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=x.shape[1])  # not a power of 2: raises
        except Exception:
            out = torch.softmax(x, dim=-1)
        return out
