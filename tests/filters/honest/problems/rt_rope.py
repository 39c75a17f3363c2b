"""Rotary position embedding (half-rotation, LLaMA style) of q: (seq 16, heads 4, dim 64) fp32, with
cos and sin tables of shape (16, 64)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, cos, sin):
        half = q.shape[-1] // 2
        rotated = torch.cat((-q[..., half:], q[..., :half]), dim=-1)
        return q * cos[:, None, :] + rotated * sin[:, None, :]


def get_inputs():
    pos = torch.arange(16, dtype=torch.float32)[:, None]
    freq = 1.0 / (10000 ** (torch.arange(0, 32, dtype=torch.float32) / 32))
    angles = torch.cat((pos * freq, pos * freq), dim=-1)
    return [torch.randn(16, 4, 64), angles.cos(), angles.sin()]


def get_init_inputs():
    return []
