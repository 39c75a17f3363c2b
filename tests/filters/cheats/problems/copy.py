"""A copy of a 16x300 fp32 matrix: the answer equals the input, so only the aliasing check can tell a copy from the input itself."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.clone()


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
