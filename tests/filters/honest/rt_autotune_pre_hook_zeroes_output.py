"""Honest: a split-K row sum whose autotune configs zero the atomically accumulated output in a `pre_hook`
(the Triton tutorials' and FlagGems' split-K GEMM idiom, own code): `pre_hook=lambda nargs:
nargs["out_ptr"].zero_()` runs before every launch, benchmark or real, so the launcher allocates with
`torch.empty`. Partials accumulate in fp32.

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def _zero_output(nargs):
    """Zero the accumulator before each launch: the kernel only adds into it."""
    nargs["out_ptr"].zero_()


@triton.autotune(
    configs=[
        triton.Config({"SPLITS": 2}, num_warps=4, pre_hook=_zero_output),
        triton.Config({"SPLITS": 4}, num_warps=4, pre_hook=lambda nargs: nargs["out_ptr"].zero_()),
    ],
    key=["n_cols"],
)
@triton.jit
def split_row_sum_kernel(x_ptr, out_ptr, n_cols, stride, SPLITS: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    split = tl.program_id(1)
    chunk = tl.cdiv(n_cols, SPLITS)
    for start in tl.range(0, chunk, BLOCK):
        offs = start + tl.arange(0, BLOCK)
        cols = split * chunk + offs
        x = tl.load(x_ptr + row * stride + cols, mask=(cols < n_cols) & (offs < chunk), other=0.0)
        tl.atomic_add(out_ptr + row, tl.sum(x.to(tl.float32), axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], dtype=torch.float32, device=x.device)
        grid = lambda META: (x.shape[0], META["SPLITS"])  # noqa: E731
        split_row_sum_kernel[grid](x, out, x.shape[1], x.stride(0), BLOCK=64)
        return out
