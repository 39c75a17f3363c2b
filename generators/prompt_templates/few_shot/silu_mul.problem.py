import torch
import torch.nn as nn
import torch.nn.functional as F


class Model(nn.Module):
    """The gated activation of a SwiGLU feed-forward layer: silu(gate) * up."""

    def __init__(self):
        super().__init__()

    def forward(self, gate, up):
        return F.silu(gate) * up


TOKENS = 33
HIDDEN = 700


def get_inputs():
    return [torch.randn(TOKENS, HIDDEN, dtype=torch.float16), torch.randn(TOKENS, HIDDEN, dtype=torch.float16)]


def get_init_inputs():
    return []
