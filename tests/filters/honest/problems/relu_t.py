"""ReLU of the transpose of a 24x40 fp32 matrix."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x.t())


def get_inputs():
    return [torch.randn(24, 40)]


def get_init_inputs():
    return []
