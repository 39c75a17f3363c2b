"""ReLU of a 16x300 fp32 matrix, returned in fp16 (an activation handed to a half-precision layer)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return torch.relu(x).to(torch.float16)


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
