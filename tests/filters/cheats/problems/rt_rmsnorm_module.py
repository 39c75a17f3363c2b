"""nn.RMSNorm(300, eps=1e-6) over a 16x300 fp32 matrix: its weight is a parameter, ones at initialisation."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.RMSNorm(300, eps=1e-6)

    def forward(self, x):
        return self.norm(x)


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
