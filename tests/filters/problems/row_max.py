"""Maximum of each row of a 16x300 fp32 matrix."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.amax(dim=1)


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
