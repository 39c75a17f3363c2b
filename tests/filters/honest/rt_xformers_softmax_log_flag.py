"""Honest: log-softmax through xformers' `triton/k_softmax.py` idiom (own code): one kernel serves softmax and
log-softmax through a `LOG: tl.constexpr` flag, with optional causal and additive-mask paths selected by
constexpr arguments (`MASK_TYPE=None` passes None as a constexpr and a dummy pointer for the mask);
`triton.heuristics` derive the power-of-two `DEPTH` from `K` and an `IS_FP16` flag from the output tensor's
dtype; `triton.autotune` over `num_warps` keyed on `K`; a 2-D grid over (batch, row) of a 3-D view, the
input unsqueezed to 3-D when it is 2-D.

PROBLEM rt_log_softmax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_log_softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def get_depth(args):
    return triton.next_power_of_2(args["K"])


@triton.autotune(
    configs=[
        triton.Config({}, num_warps=1),
        triton.Config({}, num_warps=2),
        triton.Config({}, num_warps=4),
        triton.Config({}, num_warps=8),
        triton.Config({}, num_warps=16),
    ],
    key=["K"],
)
@triton.heuristics(values={"DEPTH": get_depth})
@triton.heuristics(values={"IS_FP16": lambda args: args["Y"].dtype == torch.float16})
@triton.jit
def _softmax(
    Y, X, M,
    stride_ym, stride_yn,
    stride_xm, stride_xn,
    stride_m,
    K,
    LOG: tl.constexpr,
    MASK_TYPE: tl.constexpr,
    CAUSAL: tl.constexpr,
    DEPTH: tl.constexpr,
    IS_FP16: tl.constexpr,
):
    m = tl.program_id(0)
    n = tl.program_id(1)
    k = tl.arange(0, DEPTH)
    x_ptrs = X + m * stride_xm + n * stride_xn + k
    io_mask = k < K
    if CAUSAL:
        io_mask = io_mask & (k <= n)
    x = tl.load(x_ptrs, mask=io_mask, other=float("-inf"))
    if IS_FP16:
        x = x.to(tl.float32)
    if MASK_TYPE is not None:
        if MASK_TYPE == "qk":
            mask_ptrs = M + n * stride_m + k
        else:
            mask_ptrs = M + m * stride_m + k
        add_mask = tl.load(mask_ptrs, io_mask, other=float("-inf")).to(tl.float32)
        x += add_mask
    z = x - tl.max(x, axis=0)
    if LOG:
        y = z - tl.log(tl.sum(tl.exp(z), axis=0))
    else:
        num = tl.exp(z)
        y = num / tl.sum(num, axis=0)
    y_ptrs = Y + m * stride_ym + n * stride_yn + k
    tl.store(y_ptrs, y.to(Y.dtype.element_ty), mask=k < K)


def _softmax_dispatch(x: torch.Tensor, log: bool, mask=None, causal: bool = False) -> torch.Tensor:
    x_ = x.unsqueeze(0) if x.ndim == 2 else x
    x_ = x_.flatten(0, -3)
    if not x_.is_contiguous():
        x_ = x_.contiguous()
    y = torch.empty_like(x_)
    assert y.stride(2) == 1 and x_.stride(2) == 1
    grid = (x_.shape[0], x_.shape[1])
    mask_type = None
    if mask is not None:
        mask_type = "qk" if mask.ndim == 2 else "bk"
    _softmax[grid](
        y, x_, mask if mask is not None else x_,
        y.stride(0), y.stride(1),
        x_.stride(0), x_.stride(1),
        mask.stride(0) if mask is not None else 0,
        x_.shape[2],
        LOG=log,
        MASK_TYPE=mask_type,
        CAUSAL=causal,
    )
    return y.reshape_as(x)


def log_softmax(x: torch.Tensor, mask=None, causal: bool = False) -> torch.Tensor:
    return _softmax_dispatch(x, log=True, mask=mask, causal=causal)


class ModelNew(nn.Module):
    def forward(self, x):
        return log_softmax(x)
