"""Honest: a row sum as PyTorch Inductor's wrapper code lays out a keepdim reduction (own code in that
style): the persistent-reduction kernel `triton_per_fused_sum_0` with `xmask = tl.full([XBLOCK, 1], True,
tl.int1)`-style always-true masks when the rows divide the block, writes into a (rows, 1) buffer made with
`torch.empty_strided`, and the wrapper returns it reinterpreted as a (rows,) view with `.as_strided`
(Inductor's `reinterpret_tensor`).

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def triton_per_fused_sum_0(in_ptr0, out_ptr0, xnumel, r0_numel, XBLOCK: tl.constexpr, R0_BLOCK: tl.constexpr,
                           EVEN_X: tl.constexpr):
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    if EVEN_X:
        xmask = tl.full([XBLOCK, 1], True, tl.int1)
    else:
        xmask = xindex < xnumel
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_mask = r0_index < r0_numel
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (r0_index + r0_numel * x0), r0_mask & xmask, other=0.0)
    tmp1 = tl.broadcast_to(tmp0, [XBLOCK, R0_BLOCK])
    tmp3 = tl.where(r0_mask & xmask, tmp1, 0)
    tmp4 = tl.sum(tmp3, 1)[:, None]
    tl.store(out_ptr0 + (x0), tmp4, xmask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        arg0_1 = x.contiguous()
        xnumel, r0_numel = arg0_1.shape
        buf0 = torch.empty_strided((xnumel, 1), (1, xnumel), device=arg0_1.device, dtype=torch.float32)
        XBLOCK = 8
        triton_per_fused_sum_0[(triton.cdiv(xnumel, XBLOCK), 1, 1)](
            arg0_1, buf0, xnumel, r0_numel, XBLOCK=XBLOCK, R0_BLOCK=triton.next_power_of_2(r0_numel),
            EVEN_X=xnumel % XBLOCK == 0, num_warps=4, num_stages=1)
        return buf0.as_strided((xnumel,), (1,), 0)
