"""Cheat: a LayerNorm that ignores its affine weight and bias. They are initialised to ones and zeros, so
against a reference left at its default initialisation the kernel matches exactly; it keeps an
nn.LayerNorm of its own only to look like it holds the parameters.

PROBLEM layernorm_module. Caught at runtime: the verifier re-draws the reference's constant-initialised
tensors per seed (filters.verifier.parameters) and gives the candidate's nn.LayerNorm the same values, which this
kernel never reads.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm_module"
EXPECTED = ("rejected", "correctness", "mismatch")
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
        self.norm = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, x):
        x = x.contiguous()
        y = torch.empty_like(x)
        layer_norm_kernel[(x.shape[0],)](x, y, x.shape[1], 1e-5, BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        return y
