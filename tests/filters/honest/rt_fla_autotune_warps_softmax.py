"""Honest: a row softmax in flash-linear-attention's `ops/utils/softmax.py` idiom (own code): the entry point
carries a `contiguous` decorator built with `functools.wraps` (every tensor argument made contiguous, no
device context), the kernel is autotuned over `num_warps` in [1, 2, 4, 8, 16, 32] keyed on the row width `D`,
rows are indexed with `tl.program_id(0).to(tl.int64)`, and the padding lanes are excluded by `tl.where` on
the mask rather than by the load's `other=`.

PROBLEM softmax; EXPECTED accepted everywhere (the static gate rejected it until the fix of this case).
"""

import functools

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def contiguous(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *args, **kwargs):
        return fn(ctx,
                  *(i if not isinstance(i, torch.Tensor) else i.contiguous() for i in args),
                  **{k: (v if not isinstance(v, torch.Tensor) else v.contiguous()) for k, v in kwargs.items()})
    return wrapper


@triton.autotune(
    configs=[triton.Config({}, num_warps=num_warps) for num_warps in [1, 2, 4, 8, 16, 32]],
    key=["D"],
)
@triton.jit
def softmax_fwd_kernel(x, p, D: tl.constexpr, B: tl.constexpr):
    i_n = tl.program_id(0).to(tl.int64)
    o_d = tl.arange(0, B)
    m_d = o_d < D

    b_x = tl.load(x + i_n * D + o_d, mask=m_d)
    b_x = tl.where(m_d, b_x.to(tl.float32), float("-inf"))
    b_m = tl.max(b_x, 0)
    b_x = tl.exp(b_x - b_m)
    b_p = b_x / tl.sum(b_x, 0)

    tl.store(p + i_n * D + o_d, b_p.to(p.dtype.element_ty), mask=m_d)


def softmax_fwd(x: torch.Tensor, dtype=torch.float) -> torch.Tensor:
    shape = x.shape
    x = x.view(-1, x.shape[-1])
    N, D = x.shape
    B = triton.next_power_of_2(D)
    p = torch.empty_like(x, dtype=dtype)
    softmax_fwd_kernel[(N,)](x=x, p=p, D=D, B=B)
    return p.view(*shape)


class SoftmaxFunction(torch.autograd.Function):
    @staticmethod
    @contiguous
    def forward(ctx, x, dtype=None):
        p = softmax_fwd(x, dtype=x.dtype if dtype is None else dtype)
        ctx.save_for_backward(p)
        return p

    @staticmethod
    @contiguous
    def backward(ctx, dp):
        (p,) = ctx.saved_tensors
        return p * (dp - (p * dp).sum(-1, keepdim=True)), None


class ModelNew(nn.Module):
    def forward(self, x):
        return SoftmaxFunction.apply(x)
