"""A 72x96 by 96x80 fp32 matrix product (no dimension a multiple of 64)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(72, 96), torch.randn(96, 80)]


def get_init_inputs():
    return []
