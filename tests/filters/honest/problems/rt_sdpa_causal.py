"""Causal scaled dot-product attention of 2x2x64x32 fp16 queries, keys and values."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, q, k, v):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)


def get_inputs():
    return [torch.randn(2, 2, 64, 32, dtype=torch.float16), torch.randn(2, 2, 64, 32, dtype=torch.float16), torch.randn(2, 2, 64, 32, dtype=torch.float16)]


def get_init_inputs():
    return []
