"""Honest: LayerNorm with a Welford reduction through `tl.reduce` over a tuple and a @triton.jit combine
function, the way PyTorch Inductor's `triton_helpers.welford` reduces (mean, m2, weight) triples (own code):
each element starts as (x, 0, 1), masked lanes with weight 0, and the combine guards the 0/0 of two empty
partials with `tl.where`.

PROBLEM layernorm (eps 1e-5, weight and bias are inputs); EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "layernorm"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def welford_combine(mean_1, m2_1, weight_1, mean_2, m2_2, weight_2):
    delta = mean_2 - mean_1
    new_weight = weight_1 + weight_2
    w2_over_w = tl.where(new_weight == 0.0, 0.0, weight_2 / new_weight)
    return (
        mean_1 + delta * w2_over_w,
        m2_1 + m2_2 + delta * delta * weight_1 * w2_over_w,
        new_weight,
    )


@triton.jit
def welford(mean, m2, weight, dim):
    return tl.reduce((mean, m2, weight), dim, welford_combine)


@triton.jit
def triton_per_fused_native_layer_norm_0(in_ptr0, in_ptr1, in_ptr2, out_ptr0, xnumel, r0_numel,
                                         XBLOCK: tl.constexpr, R0_BLOCK: tl.constexpr):
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = xindex < xnumel
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_mask = r0_index < r0_numel
    mask = r0_mask & xmask
    tmp0 = tl.load(in_ptr0 + (r0_index + r0_numel * xindex), mask, other=0.0)
    tmp1 = tl.where(mask, tmp0, 0.0)
    tmp2 = tl.zeros_like(tmp1)
    tmp3 = tl.where(mask, 1.0, 0.0)
    tmp4, tmp5, tmp6 = welford(tmp1, tmp2, tmp3, 1)
    tmp7 = tmp4[:, None]
    tmp8 = tmp5[:, None]
    tmp9 = tmp8 / r0_numel
    tmp10 = 1e-05
    tmp11 = tl.rsqrt(tmp9 + tmp10)
    tmp12 = tl.load(in_ptr1 + r0_index, r0_mask, other=0.0)
    tmp13 = tl.load(in_ptr2 + r0_index, r0_mask, other=0.0)
    tmp14 = (tmp0 - tmp7) * tmp11 * tmp12 + tmp13
    tl.store(out_ptr0 + (r0_index + r0_numel * xindex), tmp14, mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, weight, bias):
        x = x.contiguous()
        xnumel, r0_numel = x.shape
        out = torch.empty_strided((xnumel, r0_numel), (r0_numel, 1), device=x.device, dtype=x.dtype)
        XBLOCK = 4
        triton_per_fused_native_layer_norm_0[(triton.cdiv(xnumel, XBLOCK),)](
            x, weight.contiguous(), bias.contiguous(), out, xnumel, r0_numel,
            XBLOCK=XBLOCK, R0_BLOCK=triton.next_power_of_2(r0_numel))
        return out
