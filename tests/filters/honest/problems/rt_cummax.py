"""Running maximum along the rows of a 16x300 fp32 matrix (values only)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.cummax(x, dim=1).values


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
