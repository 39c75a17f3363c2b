"""GEGLU's gating: gelu(a) (erf form) * b for two 12x700 fp32 matrices (unsloth / T5-style MLPs)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.nn.functional.gelu(a) * b


def get_inputs():
    return [torch.randn(12, 700), torch.randn(12, 700)]


def get_init_inputs():
    return []
