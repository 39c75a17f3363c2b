"""A 64x16 by 16x64 fp16 matrix product: a short inner dimension, where an fp16 accumulator errs by only a
few units in the last place."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, a, b):
        return torch.matmul(a, b)


def get_inputs():
    return [torch.randn(64, 16, dtype=torch.float16), torch.randn(16, 64, dtype=torch.float16)]


def get_init_inputs():
    return []
