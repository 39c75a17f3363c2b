"""LayerNorm over the last dim of a 16x300 fp16 matrix; weight and bias are inputs."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, weight, bias):
        return torch.nn.functional.layer_norm(x, (x.shape[-1],), weight, bias, eps=1e-5)


def get_inputs():
    return [torch.randn(16, 300, dtype=torch.float16), torch.rand(300, dtype=torch.float16) + 0.5, torch.randn(300, dtype=torch.float16)]


def get_init_inputs():
    return []
