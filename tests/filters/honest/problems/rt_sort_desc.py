"""Each row of a 8x64 fp32 matrix sorted in descending order (values only)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.sort(x, dim=1, descending=True).values


def get_inputs():
    return [torch.randn(8, 64)]


def get_init_inputs():
    return []
