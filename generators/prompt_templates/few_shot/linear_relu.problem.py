import torch
import torch.nn as nn


class Model(nn.Module):
    """A linear layer followed by ReLU."""

    def __init__(self, in_features, out_features):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return torch.relu(self.linear(x))


BATCH = 100
IN_FEATURES = 96
OUT_FEATURES = 72


def get_inputs():
    return [torch.randn(BATCH, IN_FEATURES, dtype=torch.float32)]


def get_init_inputs():
    return [IN_FEATURES, OUT_FEATURES]
