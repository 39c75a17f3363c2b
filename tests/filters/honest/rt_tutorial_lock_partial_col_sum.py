"""Honest: a column sum in the Triton tutorial's LayerNorm-backward style (own code): each program sums a
block of rows into one of GROUP partial buffers guarded by a spin lock (`tl.atomic_cas` / `tl.atomic_xchg`),
with a `Count` flag telling the first writer to store rather than add; a second kernel sums the partials.

PROBLEM col_sum; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "col_sum"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _partial_col_sum(X, Partial, Lock, n_rows, n_cols, stride, GROUP: tl.constexpr, ROWS: tl.constexpr,
                     BLOCK_N: tl.constexpr):
    pid = tl.program_id(0)
    cols = tl.arange(0, BLOCK_N)
    col_mask = cols < n_cols
    rows = pid * ROWS + tl.arange(0, ROWS)
    x = tl.load(X + rows[:, None] * stride + cols[None, :],
                mask=(rows[:, None] < n_rows) & col_mask[None, :], other=0.0)
    part = tl.sum(x, axis=0)
    group = pid % GROUP
    Lock += group
    Count = Lock + GROUP
    Partial += group * n_cols
    while tl.atomic_cas(Lock, 0, 1) == 1:
        pass
    count = tl.load(Count)
    if count == 0:
        tl.atomic_xchg(Count, 1)
    else:
        part += tl.load(Partial + cols, mask=col_mask, other=0.0)
    tl.store(Partial + cols, part, mask=col_mask)
    tl.atomic_xchg(Lock, 0)


@triton.jit
def _sum_partials(Partial, Out, n_cols, GROUP: tl.constexpr, BLOCK_N: tl.constexpr):
    cols = tl.arange(0, BLOCK_N)
    mask = cols < n_cols
    acc = tl.zeros([BLOCK_N], dtype=tl.float32)
    for g in range(GROUP):
        acc += tl.load(Partial + g * n_cols + cols, mask=mask, other=0.0)
    tl.store(Out + cols, acc, mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        n_rows, n_cols = x.shape
        GROUP, ROWS = 4, 16
        block_n = triton.next_power_of_2(n_cols)
        locks = torch.zeros(2 * GROUP, dtype=torch.int32, device=x.device)
        partial = torch.zeros((GROUP, n_cols), dtype=torch.float32, device=x.device)
        out = torch.empty(n_cols, dtype=x.dtype, device=x.device)
        _partial_col_sum[(triton.cdiv(n_rows, ROWS),)](x, partial, locks, n_rows, n_cols, x.stride(0),
                                                       GROUP=GROUP, ROWS=ROWS, BLOCK_N=block_n)
        _sum_partials[(1,)](partial, out, n_cols, GROUP=GROUP, BLOCK_N=block_n)
        return out
