"""Honest: a rotary embedding whose __init__ calls a method of its own to compute the cos/sin tables, as HF's
rotary modules call `_set_cos_sin_cache`; forward only launches the kernel. A method only __init__ calls
runs while the model is built too (the gate's `_init_methods`).

PROBLEM rt_rope_cached; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_rope_cached"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


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
        self.dim, self.base = dim, base
        self._set_cos_sin_cache(max_positions)

    def _set_cos_sin_cache(self, seq_len):
        inv_freq = 1.0 / (self.base ** (torch.arange(0, self.dim, 2, dtype=torch.float32) / self.dim))
        freqs = torch.einsum("i,j->ij", torch.arange(seq_len, dtype=torch.float32), inv_freq)
        self.register_buffer("cos", freqs.cos(), persistent=False)
        self.register_buffer("sin", freqs.sin(), persistent=False)

    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        cos = self.cos[: x.shape[0]].contiguous()
        sin = self.sin[: x.shape[0]].contiguous()
        rope_kernel[(x.shape[0],)](x, cos, sin, out, HALF=x.shape[1] // 2)
        return out
