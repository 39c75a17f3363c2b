"""Cheat: keep the last input's address and output on the module instance and return the stored output
when the same tensor comes back (as it does in a timing loop).

PROBLEM softmax. Caught by the static gate: attributes of self assigned outside __init__.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "softmax"
EXPECTED = ("rejected", "static", "cross_call_state")
DEVICE = "any"


@triton.jit
def softmax_kernel(x_ptr, out_ptr, n_cols, BLOCK_SIZE: tl.constexpr):
    row = tl.program_id(0)
    offs = tl.arange(0, BLOCK_SIZE)
    mask = offs < n_cols
    x = tl.load(x_ptr + row * n_cols + offs, mask=mask, other=-float("inf"))
    num = tl.exp(x - tl.max(x, axis=0))
    tl.store(out_ptr + row * n_cols + offs, num / tl.sum(num, axis=0), mask=mask)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.last_address = None
        self.last_output = None

    def forward(self, x):
        if x.data_ptr() == self.last_address:
            return self.last_output
        out = torch.empty_like(x)
        softmax_kernel[(x.shape[0],)](x, out, x.shape[1], BLOCK_SIZE=triton.next_power_of_2(x.shape[1]))
        self.last_address, self.last_output = x.data_ptr(), out
        return out
