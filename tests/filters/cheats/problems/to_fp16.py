"""A 16x300 fp32 matrix cast to fp16: the whole spec is the cast."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return x.to(torch.float16)


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
