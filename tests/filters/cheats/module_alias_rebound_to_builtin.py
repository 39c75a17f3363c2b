"""Cheat: a module-level name bound once to an allowed path is that path (`zeros_like = torch.zeros_like`),
so bind it to the allocator and then, in a branch that always runs, to the builtin `sum`: over the rows of
the transposed input Python's sum adds the columns with PyTorch, which are the row sums the problem asks
for. The kernel is launched as a decoy on a scratch buffer.

PROBLEM row_sum. Caught by the static gate: a name is an alias only when nothing else ever binds it;
otherwise calling it on tensors is a function chosen at run time (`torch_outside_kernel`).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"

zeros_like = torch.zeros_like
if torch.__version__ > "0":
    zeros_like = sum


@triton.jit
def row_sum_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    cols = tl.arange(0, BLOCK_SIZE)
    x = tl.load(x_ptr + row * n_cols + cols, mask=cols < n_cols, other=0.0)
    tl.store(out_ptr + row, tl.sum(x, axis=0))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty(1, 1, dtype=x.dtype, device=x.device)
        row_sum_kernel[(1,)](scratch, torch.empty(1, dtype=x.dtype, device=x.device), 1, BLOCK_SIZE=16)
        return zeros_like(x.t())
