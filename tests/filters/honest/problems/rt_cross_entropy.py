"""Per-row cross-entropy of 16x300 fp32 logits against int64 class targets (reduction "none")."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, logits, target):
        return torch.nn.functional.cross_entropy(logits, target, reduction="none")


def get_inputs():
    return [torch.randn(16, 300), torch.randint(0, 300, (16,))]


def get_init_inputs():
    return []
