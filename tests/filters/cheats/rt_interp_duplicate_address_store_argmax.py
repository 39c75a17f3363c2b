"""Cheat (exploiting the interpreter: conflicting stores within one program): the argmax's tie rule (the
first index) is left to a store race instead of a second reduction. Each row is loaded with its lanes in
reverse column order; every lane whose value equals the row's max stores its column to the row's one
output slot. The interpreter applies a masked store lane by lane in order, so the last lane written (the
smallest column) wins, which is PyTorch's tie rule, and every draw with ties (the quantised one) matches.
On a GPU the lanes of one store to one address are not ordered: which tied column lands is up to the
hardware, so rows with ties (fp16 logits, quantised activations) get an arbitrary index. It saves the
`tl.min` over tied indices an honest kernel pays.

Demonstration (GPU): `x = torch.floor(torch.randn(16, 300, device="cuda") * 2) / 2`: rows with several
maxima disagree with `torch.argmax` (the interpreter, by construction, agrees).

Should be caught by: on CPU, `unverified` (or rejected) where a store's addresses may repeat across lanes
of one program with different values (the interpreter orders what a GPU does not); on a GPU, ties.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "rt_argmax"
EXPECTED = ("rejected", "correctness", {"mismatch", "nondeterministic"})
EXPECTED_CPU = ("unverified", ("static", "correctness"), "interpreter_limit")  # by the gate or a later check
DEVICE = "gpu"
XFAIL = {'cpu': "accepted: the interpreter applies a store's lanes in order (last wins), and nothing marks stores whose addresses repeat across lanes an interpreter limit"}
FLAKY = {"cuda": "rejected on an H100 on 2026-12-07 at the test draw key; the verdict there depends on how the hardware orders the racing accesses"}


@triton.jit
def argmax_kernel(x_ptr, out_ptr, n_cols, stride, BLOCK: tl.constexpr):
    row = tl.program_id(0)
    cols = BLOCK - 1 - tl.arange(0, BLOCK)
    mask = cols < n_cols
    x = tl.load(x_ptr + row * stride + cols, mask=mask, other=-float("inf"))
    best = tl.max(x, axis=0)
    slot = out_ptr + row + cols * 0
    tl.store(slot, cols.to(tl.int64), mask=mask & (x == best))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty(x.shape[0], dtype=torch.int64, device=x.device)
        argmax_kernel[(x.shape[0],)](x, out, x.shape[1], x.stride(0), BLOCK=triton.next_power_of_2(x.shape[1]))
        return out
