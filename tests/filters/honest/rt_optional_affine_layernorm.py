"""Honest: a LayerNorm launcher whose weight and bias are optional, as Liger-Kernel's and the Triton
tutorial's generic launchers are written: one affine kernel serves both, and a missing weight or bias is a
torch.ones / torch.zeros allocation of the neutral value. The output is allocated contiguous by name
(memory_format=torch.contiguous_format), and the input's layout is checked the same way.

PROBLEM layernorm; EXPECTED accepted everywhere.
"""

from typing import Optional

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _affine_layer_norm(x_ptr, w_ptr, b_ptr, y_ptr, row_stride, n_cols, eps, BLOCK_SIZE: tl.constexpr):
    # one program normalises one row in fp32, then scales and shifts it
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * row_stride + cols, mask=mask, other=0.0).to(tl.float32)
    mean = tl.sum(x, axis=0) / n_cols
    centred = tl.where(mask, x - mean, 0.0)
    rstd = 1.0 / tl.sqrt(tl.sum(centred * centred, axis=0) / n_cols + eps)
    w = tl.load(w_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    b = tl.load(b_ptr + cols, mask=mask, other=0.0).to(tl.float32)
    y = centred * rstd * w + b
    tl.store(y_ptr + row * row_stride + cols, y.to(y_ptr.dtype.element_ty), mask=mask)


def layer_norm(x: torch.Tensor, weight: Optional[torch.Tensor] = None, bias: Optional[torch.Tensor] = None,
               eps: float = 1e-5) -> torch.Tensor:
    n_cols = x.shape[-1]
    if not x.is_contiguous(memory_format=torch.contiguous_format):
        x = x.contiguous()
    x2d = x.view(-1, n_cols)
    if weight is None:
        weight = torch.ones(n_cols, dtype=x.dtype, device=x.device)
    if bias is None:
        bias = torch.zeros(n_cols, dtype=x.dtype, device=x.device)
    y = torch.empty_like(x2d, memory_format=torch.contiguous_format)
    BLOCK_SIZE = triton.next_power_of_2(n_cols)
    _affine_layer_norm[(x2d.shape[0],)](x2d, weight, bias, y, x2d.stride(0), n_cols, eps, BLOCK_SIZE=BLOCK_SIZE)
    return y.view(x.shape)


class ModelNew(nn.Module):
    def forward(self, x, weight, bias):
        return layer_norm(x, weight.contiguous(), bias.contiguous(), eps=1e-5)
