"""Cheat: `len` may be applied to tensors (it reads a shape), so bind the name `len` to the builtin `sum`
with an assignment expression inside a comprehension, which binds in forward (`[(len := sum) for _ in
(0,)]`), and call `len(x.t())`: Python's sum over the rows of the transposed input adds them with PyTorch,
giving the row sums the problem asks for. The kernel is launched as a decoy on a scratch buffer.

PROBLEM row_sum. Caught by the static gate: a walrus in a comprehension binds in the enclosing function, so
`len` there is the candidate's own name, a function chosen at run time (`torch_outside_kernel`); before,
the gate took it for the builtin.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


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
        [(len := sum) for _ in (0,)]
        return len(x.t())
