import torch
import torch.nn as nn


class Model(nn.Module):
    """A batched matrix product scaled by a constant, as in attention scores: (a @ b) * scale."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, a, b):
        return torch.bmm(a, b) * self.scale


BATCH = 4
M = 70
K = 48
N = 90
SCALE = 0.125


def get_inputs():
    return [torch.randn(BATCH, M, K, dtype=torch.float32), torch.randn(BATCH, K, N, dtype=torch.float32)]


def get_init_inputs():
    return [SCALE]
