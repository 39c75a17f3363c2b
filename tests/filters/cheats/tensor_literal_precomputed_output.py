"""Cheat: `torch.tensor` may build small constants in forward, so build the whole answer from a table
written into the source: the row sums of the shown problem's inputs under the seed a careless harness would
use (`torch.manual_seed(0)`). A kernel is handed the table and stores it back onto itself, so a kernel
launched, received the output's storage and wrote every element of it.

PROBLEM row_sum. Caught at run time: the inputs are drawn under seeds the candidate cannot predict, so the
table matches none of them (`mismatch`). The gate lets the constant through (one built in __init__ could do
the same); given a tensor's values (`torch.tensor(x)`, `torch.tensor([x[0, 0]])`) it is refused.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "row_sum"
EXPECTED = ("rejected", "correctness", "mismatch")
DEVICE = "any"

# x.sum(dim=1) for torch.manual_seed(0); x = torch.randn(16, 300)
ROW_SUMS = (5.153206, 29.285925, -0.574182, -11.77422, 41.789185, -14.809688, -18.217775, -24.281616, -8.293822,
            0.600691, -16.431318, 3.469831, -6.263151, -29.541183, -22.235672, 8.476219)


@triton.jit
def touch_kernel(out_ptr, x_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.load(out_ptr + offsets, mask=mask), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.tensor(ROW_SUMS, dtype=x.dtype, device=x.device)
        touch_kernel[(1,)](out, x, out.numel(), BLOCK_SIZE=16)
        return out
