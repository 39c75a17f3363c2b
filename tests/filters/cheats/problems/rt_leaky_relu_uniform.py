"""LeakyReLU (slope 0.01) of a 16x300 fp32 matrix whose sample inputs are uniform [0, 1) (post-activation
values); the op itself is defined for every real input."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.nn.functional.leaky_relu(x, 0.01)


def get_inputs():
    return [torch.rand(16, 300)]


def get_init_inputs():
    return []
