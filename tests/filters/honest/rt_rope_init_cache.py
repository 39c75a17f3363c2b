"""Honest: a rotary embedding whose module computes its cos/sin tables once in __init__, from its dimension
and base, as HF's and vLLM's rotary modules (and the reference) do; forward only launches the kernel.
PyTorch math while the model is built is allowed (the gate's `_init_only`); in forward it is not.

PROBLEM rt_rope_cached; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_rope_cached"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def _inverse_frequencies(dim, base):
    return 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))


@triton.jit
def rope_kernel(x_ptr, cos_ptr, sin_ptr, out_ptr, HALF: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, HALF)
    x1 = tl.load(x_ptr + row * 2 * HALF + cols)
    x2 = tl.load(x_ptr + row * 2 * HALF + HALF + cols)
    cos = tl.load(cos_ptr + row * HALF + cols)
    sin = tl.load(sin_ptr + row * HALF + cols)
    tl.store(out_ptr + row * 2 * HALF + cols, x1 * cos - x2 * sin)
    tl.store(out_ptr + row * 2 * HALF + HALF + cols, x2 * cos + x1 * sin)


class ModelNew(nn.Module):
    def __init__(self, dim, base, max_positions=64):
        super().__init__()
        positions = torch.arange(max_positions, dtype=torch.float32)
        freqs = torch.outer(positions, _inverse_frequencies(dim, base))
        self.register_buffer("cos", freqs.cos(), persistent=False)
        self.register_buffer("sin", freqs.sin(), persistent=False)

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        cos = self.cos[: x.shape[0]].contiguous()
        sin = self.sin[: x.shape[0]].contiguous()
        rope_kernel[(x.shape[0],)](x, cos, sin, out, HALF=x.shape[1] // 2)
        return out
