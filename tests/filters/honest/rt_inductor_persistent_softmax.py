"""Honest: a row softmax in the shape of PyTorch Inductor's persistent-reduction kernels (own code in that
style): `triton_per_fused__softmax_0` with 2-D `xindex[:, None]` / `r0_index[None, :]` tiles, the reduction
block declared inside the kernel as `R0_BLOCK: tl.constexpr = 512`, `tl.broadcast_to` before each
`tl.where(r0_mask & xmask, ..., float("-inf"))`, reductions sliced back to a column with `[:, None]`, and the
wrapper's `empty_strided` output.

PROBLEM softmax; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def triton_per_fused__softmax_0(in_ptr0, out_ptr2, xnumel, r0_numel, XBLOCK: tl.constexpr):
    R0_BLOCK: tl.constexpr = 512
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = xindex < xnumel
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_mask = r0_index < r0_numel
    r0_1 = r0_index
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (r0_1 + r0_numel * x0), r0_mask & xmask, other=0.0)
    tmp1 = tl.broadcast_to(tmp0, [XBLOCK, R0_BLOCK])
    tmp3 = tl.where(r0_mask & xmask, tmp1, float("-inf"))
    tmp4 = tl.max(tmp3, 1)[:, None]
    tmp5 = tmp0 - tmp4
    tmp6 = tl.exp(tmp5)
    tmp7 = tl.broadcast_to(tmp6, [XBLOCK, R0_BLOCK])
    tmp9 = tl.where(r0_mask & xmask, tmp7, 0)
    tmp10 = tl.sum(tmp9, 1)[:, None]
    tmp11 = tmp6 / tmp10
    tl.store(out_ptr2 + (r0_1 + r0_numel * x0), tmp11, r0_mask & xmask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        arg0_1 = x.contiguous()
        xnumel, r0_numel = arg0_1.shape
        assert r0_numel <= 512, f"persistent reduction needs a row of at most 512, got {r0_numel}"
        buf2 = torch.empty_strided((xnumel, r0_numel), (r0_numel, 1), device=arg0_1.device, dtype=torch.float32)
        triton_per_fused__softmax_0[(triton.cdiv(xnumel, 8), 1, 1)](arg0_1, buf2, xnumel, r0_numel, XBLOCK=8,
                                                                     num_warps=4, num_stages=1)
        return buf2
