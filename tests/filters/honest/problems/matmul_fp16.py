"""A 72x96 by 96x80 fp16 matrix product."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(72, 96, dtype=torch.float16), torch.randn(96, 80, dtype=torch.float16)]


def get_init_inputs():
    return []
