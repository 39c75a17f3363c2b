"""Honest: a split-K row sum under `triton.autotune` with `reset_to_zero` naming the atomically accumulated
output (the Triton tutorials' and FlagGems' split-K idiom, own code): the autotuner zeroes that argument before
each benchmarked config, so a timing run's adds do not pile up, and the launcher still zeroes it for the real
call. `restore_value` names the input, which the kernel only reads. Partials accumulate in fp32.

PROBLEM row_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.autotune(
    configs=[triton.Config({"SPLITS": 2}, num_warps=4), triton.Config({"SPLITS": 4}, num_warps=4)],
    key=["n_cols"],
    reset_to_zero=["out_ptr"],
    restore_value=["x_ptr"],
)
@triton.jit
def split_row_sum_kernel(x_ptr, out_ptr, n_cols, stride, SPLITS: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0).to(tl.int64)
    split = tl.program_id(1)
    chunk = tl.cdiv(n_cols, SPLITS)
    for start in tl.range(0, chunk, BLOCK):
        cols = split * chunk + start + tl.arange(0, BLOCK)
        mask = (cols < n_cols) & (start + tl.arange(0, BLOCK) < chunk)
        x = tl.load(x_ptr + row * stride + cols, mask=mask, other=0.0)
        tl.atomic_add(out_ptr + row, tl.sum(x.to(tl.float32), axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.zeros(x.shape[0], dtype=torch.float32, device=x.device)
        grid = lambda META: (x.shape[0], META["SPLITS"])  # noqa: E731
        split_row_sum_kernel[grid](x, out, x.shape[1], x.stride(0), BLOCK=64)
        return out.to(x.dtype)
