"""nn.LayerNorm(300) over a 16x300 fp32 matrix: affine weight and bias are
the module's parameters, ones and zeros at initialisation."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(300)

    def forward(self, x):
        return self.norm(x)


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
