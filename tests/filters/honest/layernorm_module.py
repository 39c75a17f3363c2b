"""Honest: a LayerNorm with affine parameters of its own, named differently from the reference's
nn.LayerNorm (gamma and beta, not norm.weight and norm.bias), initialised the same way; the verifier
matches them by order and size and gives them the reference's re-drawn values.

PROBLEM layernorm_module; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm_module"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def layer_norm_kernel(x_ptr, w_ptr, b_ptr, y_ptr, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * n_cols + cols, mask=mask, other=0.0)
    mean = tl.sum(x, axis=0) / n_cols
    centred = tl.where(mask, x - mean, 0.0)
    var = tl.sum(centred * centred, axis=0) / n_cols
    w = tl.load(w_ptr + cols, mask=mask)
    b = tl.load(b_ptr + cols, mask=mask)
    tl.store(y_ptr + row * n_cols + cols, centred / tl.sqrt(var + eps) * w + b, mask=mask)


class ModelNew(nn.Module):
    def __init__(self, hidden):
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(hidden))
        self.beta = nn.Parameter(torch.zeros(hidden))

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        layer_norm_kernel[(x.shape[0],)](x, self.gamma, self.beta, y, x.shape[1], 1e-5,
                                         BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return y
