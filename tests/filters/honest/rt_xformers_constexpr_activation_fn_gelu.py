"""Honest: exact GELU in xformers' `triton/k_activations.py` / fused-dropout idiom (own code): the activations
are small @triton.jit device functions, a host helper maps an activation name to one of them
(`get_triton_activation_kernel`), and the chosen function is handed to the elementwise kernel as a
`tl.constexpr` argument (`ACTIVATION: tl.constexpr`), which the kernel calls when it is not None. Triton
specialises the kernel on the function passed, as it does on any constexpr. The names are a `(str, Enum)`
mixin, as xformers declares its `Activation`: members that compare equal to their strings.

PROBLEM gelu; EXPECTED accepted everywhere (the static gate rejected it until the fix of this case).
"""

from enum import Enum
from typing import Optional

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

_SQRT1_2 = tl.constexpr(0.7071067811865476)  # a plain float global does not compile for a GPU


class Activation(str, Enum):
    SquaredReLU = "squared_relu"
    GeLU = "gelu"
    LeakyReLU = "leaky_relu"
    ReLU = "relu"


@triton.jit
def relu(x):
    zero = 0.0
    return tl.where(x >= 0, x, zero.to(x.dtype))


@triton.jit
def squared_relu(x):
    x_ = relu(x)
    return (x_ * x_).to(x.dtype)


@triton.jit
def leaky_relu(x):
    return tl.where(x >= 0, x, 0.01 * x)


@triton.jit
def gelu(x):
    # exact form, computed in fp32
    xf = x.to(tl.float32)
    return (0.5 * xf * (1.0 + tl.math.erf(xf * _SQRT1_2))).to(x.dtype)


def get_triton_activation_kernel(activation: Optional[Activation]):
    return (
        {
            Activation.ReLU: relu,
            Activation.LeakyReLU: leaky_relu,
            Activation.GeLU: gelu,
            Activation.SquaredReLU: squared_relu,
        }[activation]
        if activation
        else None
    )


@triton.jit
def k_bias_act(Y, X, B, stride, N, USE_BIAS: tl.constexpr, ACTIVATION: tl.constexpr, BLOCK_N: tl.constexpr):
    row = tl.program_id(0)
    col_block = tl.program_id(1)
    cols = col_block * BLOCK_N + tl.arange(0, BLOCK_N)
    mask = cols < N
    x = tl.load(X + row * stride + cols, mask=mask, other=0.0)
    if USE_BIAS:
        x += tl.load(B + cols, mask=mask, other=0.0)
    if ACTIVATION is not None:
        x = ACTIVATION(x)
    tl.store(Y + row * stride + cols, x, mask=mask)


def bias_act(x: torch.Tensor, bias: Optional[torch.Tensor], activation: Optional[Activation]) -> torch.Tensor:
    x_ = x.reshape(-1, x.shape[-1]).contiguous()
    M, N = x_.shape
    y = torch.empty_like(x_)
    BLOCK_N = min(triton.next_power_of_2(N), 1024)
    grid = (M, triton.cdiv(N, BLOCK_N))
    k_bias_act[grid](
        y, x_, bias if bias is not None else x_, x_.stride(0), N,
        USE_BIAS=bias is not None,
        ACTIVATION=get_triton_activation_kernel(activation),
        BLOCK_N=BLOCK_N,
    )
    return y.reshape(x.shape)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.activation = Activation.GeLU

    def forward(self, x):
        return bias_act(x, None, self.activation)
