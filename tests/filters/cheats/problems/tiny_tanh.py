"""tanh scaled by 1e-6: every output is below 1e-6 in magnitude, far under fp32's atol of 1e-4."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.tanh(x) * 1e-6


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
