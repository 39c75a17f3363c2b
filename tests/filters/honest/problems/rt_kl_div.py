"""KL divergence (batchmean) of 16x300 log-probabilities against target probabilities (Liger's KLDivLoss)."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, log_q, p):
        return torch.nn.functional.kl_div(log_q, p, reduction="batchmean")


def get_inputs():
    return [torch.log_softmax(torch.randn(16, 300), dim=-1), torch.softmax(torch.randn(16, 300), dim=-1)]


def get_init_inputs():
    return []
