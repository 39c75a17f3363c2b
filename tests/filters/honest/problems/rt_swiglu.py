"""SwiGLU's gating: silu(a) * b for two 16x300 fp32 matrices (Liger / LLaMA MLP)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.nn.functional.silu(a) * b


def get_inputs():
    return [torch.randn(16, 300), torch.randn(16, 300)]


def get_init_inputs():
    return []
