"""Honest: a row sum in flash-linear-attention's idiom (own code): `@triton.heuristics` with a lambda on
`args`, `@triton.autotune` over configs built by a list comprehension over block sizes and warp counts,
`key` naming the launch's sizes, `i_b, i_t = i_bt // NT, i_bt % NT` index arithmetic, and `tl.program_id`s
bound together; the sums of chunks written to a scratch then reduced by a second kernel.

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.heuristics({"IS_EVEN": lambda args: args["T"] % args["BT"] == 0})
@triton.autotune(
    configs=[triton.Config({}, num_warps=num_warps) for num_warps in [1, 2, 4]],
    key=["T"],
)
@triton.jit(do_not_specialize=["T"])
def chunk_sum_kernel(x, o, T, NT, BT: tl.constexpr, IS_EVEN: tl.constexpr):
    i_bt = tl.program_id(0)
    i_b, i_t = i_bt // NT, i_bt % NT
    o_t = i_t * BT + tl.arange(0, BT)
    if IS_EVEN:
        b_x = tl.load(x + i_b * T + o_t).to(tl.float32)
    else:
        b_x = tl.load(x + i_b * T + o_t, mask=o_t < T, other=0).to(tl.float32)
    tl.store(o + i_b * NT + i_t, tl.sum(b_x, axis=0))


@triton.jit
def reduce_kernel(p, o, NT, BNT: tl.constexpr):
    i_b = tl.program_id(0)
    o_n = tl.arange(0, BNT)
    b_p = tl.load(p + i_b * NT + o_n, mask=o_n < NT, other=0)
    tl.store(o + i_b, tl.sum(b_p, axis=0).to(o.dtype.element_ty))


def chunk_row_sum(x: torch.Tensor, chunk_size: int = 64) -> torch.Tensor:
    B, T = x.shape
    BT = min(chunk_size, triton.next_power_of_2(T))
    NT = triton.cdiv(T, BT)
    partial = x.new_empty(B, NT, dtype=torch.float32)
    chunk_sum_kernel[(B * NT,)](x, partial, T, NT, BT=BT)
    o = x.new_empty(B)
    reduce_kernel[(B,)](partial, o, NT, BNT=triton.next_power_of_2(NT))
    return o


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return chunk_row_sum(x.contiguous())
