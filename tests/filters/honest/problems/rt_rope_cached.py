"""Rotary embedding of a 64x32 fp32 tensor with the cos/sin tables a module computes once in __init__ from
its dimension and base (HF's and vLLM's rotary modules), kept as non-persistent buffers."""

import torch
import torch.nn as nn

class Model(nn.Module):
    def __init__(self, dim, base):
        super().__init__()
        inv = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        t = torch.arange(64).float()
        freqs = torch.outer(t, inv)
        self.register_buffer("cos", freqs.cos(), persistent=False)
        self.register_buffer("sin", freqs.sin(), persistent=False)

    def forward(self, x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
        cos, sin = self.cos[: x.shape[0]], self.sin[: x.shape[0]]
        return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)

def get_inputs():
    return [torch.randn(64, 32)]

def get_init_inputs():
    return [32, 10000.0]
