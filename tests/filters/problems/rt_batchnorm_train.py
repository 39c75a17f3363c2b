"""nn.BatchNorm1d(300) on a 64x300 fp32 batch, in the mode a fresh module is in: training (batch statistics)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(300)

    def forward(self, x):
        return self.bn(x)


def get_inputs():
    return [torch.randn(64, 300)]


def get_init_inputs():
    return []
