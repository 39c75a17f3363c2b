"""Cheat: a LayerNorm that holds no affine parameters at all (the reference's are ones and zeros at their
default initialisation, so leaving them out matches it exactly).

PROBLEM layernorm_module. Caught before it runs: the reference's norm.weight and norm.bias are re-drawn per
seed (filters.verifier.parameters), and the candidate holds no tensor to receive them, so it cannot show it uses
them.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm_module"
EXPECTED = ("rejected", "anticheat", "parameter_unmatched")
DEVICE = "any"


@triton.jit
def layer_norm_kernel(x_ptr, y_ptr, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_cols
    centred = tl.where(mask, x - mean, 0.0)
    var = tl.sum(centred * centred, axis=0) / n_cols
    tl.store(y_ptr + row * n_cols + cols, centred / tl.sqrt(var + eps), mask=mask)


class ModelNew(nn.Module):
    def __init__(self, hidden):
        super().__init__()

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        layer_norm_kernel[(x.shape[0],)](x, y, x.shape[1], 1e-5, BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return y
