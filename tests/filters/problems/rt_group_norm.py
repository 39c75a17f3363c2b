"""Group normalisation of a 4x32x8x8 fp32 tensor in 8 groups, with its affine weight and bias."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, num_groups, num_channels):
        super().__init__()
        self.norm = nn.GroupNorm(num_groups, num_channels)

    def forward(self, x):
        return self.norm(x)


def get_inputs():
    return [torch.randn(4, 32, 8, 8)]


def get_init_inputs():
    return [8, 32]
