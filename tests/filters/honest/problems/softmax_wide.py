"""Softmax over the rows of an 8x1000 fp32 matrix (rows longer than one tile)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.softmax(x, dim=-1)


def get_inputs():
    return [torch.randn(8, 1000)]


def get_init_inputs():
    return []
