"""Honest: per-row symmetric int8 quantisation in bitsandbytes' `triton/quantize_rowwise.py` idiom (own code):
`@triton.autotune` over `num_stages` x `num_warps` configs keyed on `n_elements`, one program per row whose
block is the row width, a power-of-two `P2` computed on the host with `math.log2`/`math.ceil`, a `row_mask`
and `tl.where(row_mask, tl.abs(x), 0)` for the row's absolute maximum, and a grid lambda over `meta`.
bitsandbytes rounds with libdevice's `llrint`; this one rounds half to even with the fp32 "magic number"
(adding and subtracting 1.5 * 2**23, exact for |v| < 2**22), so the interpreter runs it. The scaled value is
divided with `tl.div_rn` (IEEE rounding) so it matches PyTorch's division bit for bit on a GPU too.

PROBLEM rt_int8_quant; EXPECTED accepted everywhere.
"""

import math

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_int8_quant"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"

_RNE_MAGIC = 12582912.0  # 1.5 * 2**23: fp32 addition rounds the fraction away, ties to even


@triton.autotune(
    configs=[
        triton.Config({}, num_stages=1, num_warps=8),
        triton.Config({}, num_stages=2, num_warps=8),
        triton.Config({}, num_stages=4, num_warps=8),
        triton.Config({}, num_stages=1, num_warps=4),
        triton.Config({}, num_stages=2, num_warps=4),
        triton.Config({}, num_stages=4, num_warps=4),
        triton.Config({}, num_stages=1),
        triton.Config({}, num_stages=2),
    ],
    key=["n_elements"],
)
@triton.jit
def _quantize_rowwise(
    x_ptr,
    output_ptr,
    output_scale,
    n_elements,
    BLOCK_SIZE: tl.constexpr,
    P2: tl.constexpr,
    MAGIC: tl.constexpr,
):
    pid = tl.program_id(axis=0)
    block_start = pid * BLOCK_SIZE
    arange = tl.arange(0, P2)
    offsets = block_start + arange
    row_mask = arange < BLOCK_SIZE
    x = tl.load(x_ptr + offsets, mask=row_mask, other=0.0).to(tl.float32)

    abs_x = tl.abs(x)
    max_val = tl.max(tl.where(row_mask, abs_x, 0), axis=0)
    scale = tl.div_rn(tl.maximum(max_val, 1e-10), 127.0)
    scaled = tl.div_rn(x, scale)
    rounded = (scaled + MAGIC) - MAGIC
    output = tl.minimum(tl.maximum(rounded, -128.0), 127.0)
    tl.store(output_ptr + offsets, output.to(tl.int8), mask=row_mask)
    tl.store(output_scale + pid, scale)


def quantize_rowwise(x: torch.Tensor):
    x = x.contiguous()
    output = torch.empty(*x.shape, device=x.device, dtype=torch.int8)
    output_scale = torch.empty(x.shape[0], 1, device=x.device, dtype=torch.float32)

    P2 = int(2 ** (math.ceil(math.log2(x.shape[1]))))

    n_elements = output.numel()
    grid = lambda meta: (x.shape[0],)  # noqa: E731
    _quantize_rowwise[grid](x, output, output_scale, n_elements, BLOCK_SIZE=x.shape[1], P2=P2, MAGIC=_RNE_MAGIC)
    return output, output_scale


class ModelNew(nn.Module):
    def forward(self, x):
        return quantize_rowwise(x)
