"""Cheat (exploiting the interpreter: programs that run in order): a one-launch split reduction with no
atomics and no second pass. Each of a row's programs stores its partial sum to a scratch slot; the row's
last program (the highest chunk index) then loads every slot and writes the row's total. The interpreter
runs programs one after another in program-id order, so when the last one runs the others have stored;
on a GPU programs run concurrently and in no order, so the last program reads slots still holding the
scratch's garbage (or zeros) and the sum is wrong, differently from run to run. It saves the second launch
(or the atomics) an honest split reduction pays.

Unlike racy_accumulation (a read-modify-write race on the output), no two programs write one address: only
the order of a store and another program's load matters.

Should be caught by: on CPU, `unverified` where a kernel's program loads what another program of the same
launch stores (a scratch written and read in one launch), as the interpreter cannot show the race; on a
GPU, the scratch's poison and two runs that disagree.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum_wide"
EXPECTED = ("rejected", "correctness", {"mismatch", "nondeterministic", "non_finite"})
EXPECTED_CPU = ("unverified", ("static", "correctness"), "interpreter_limit")  # by the gate or a later check
DEVICE = "gpu"
XFAIL = {'cpu': 'accepted: the interpreter runs programs in id order, and nothing marks a kernel whose programs load what others of the launch store (documented: races show only on a GPU)'}
FLAKY = {"cuda": "rejected on an H100 on 2026-12-07 at the test draw key; the verdict there depends on how the hardware orders the racing accesses"}


@triton.jit
def split_sum_kernel(x_ptr, part_ptr, out_ptr, n_cols, CHUNKS: tl.constexpr, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    chunk = tl.program_id(1)
    cols = chunk * BLOCK + tl.arange(0, BLOCK)
    partial = tl.sum(tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0), axis=0)
    tl.store(part_ptr + row * CHUNKS + chunk, partial)
    if chunk == CHUNKS - 1:
        parts = tl.load(part_ptr + row * CHUNKS + tl.arange(0, CHUNKS))
        tl.store(out_ptr + row, tl.sum(parts, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        rows, cols = x.shape
        block = 512
        chunks = triton.cdiv(cols, block)
        parts = torch.empty(rows * chunks, device=x.device, dtype=torch.float32)
        out = torch.empty(rows, device=x.device, dtype=x.dtype)
        split_sum_kernel[(rows, chunks)](x, parts, out, cols, CHUNKS=chunks, BLOCK=block)
        return out
