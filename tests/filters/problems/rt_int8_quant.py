"""Per-token symmetric int8 quantisation of a 16x300 fp32 matrix (vLLM's and SGLang's scaled_int8_quant):
each row's absolute maximum over 127 is its scale; values divided by it, rounded half to even, clamped."""

import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        scale = x.abs().amax(dim=1, keepdim=True).clamp(min=1e-10) / 127.0
        q = torch.round(x / scale).clamp(-128, 127).to(torch.int8)
        return q, scale


def get_inputs():
    return [torch.randn(16, 300)]


def get_init_inputs():
    return []
