"""Elementwise a / b of two 16x300 fp32 matrices, the divisor positive."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return a / b


def get_inputs():
    return [torch.randn(16, 300), torch.rand(16, 300) + 0.1]


def get_init_inputs():
    return []
