"""BatchNorm1d over a 64x32 fp32 batch, in training mode (the mode nn.Module starts in, and the problem
never leaves): normalised by the batch's own statistics, with nn.BatchNorm1d's affine weight and bias."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.norm = nn.BatchNorm1d(channels)

    def forward(self, x):
        return self.norm(x)


def get_inputs():
    return [torch.randn(64, 32)]


def get_init_inputs():
    return [32]
