"""Sum of each row of a 64x4096 fp32 matrix (many programs per row for a split reduction)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.sum(dim=1)


def get_inputs():
    return [torch.randn(64, 4096)]


def get_init_inputs():
    return []
