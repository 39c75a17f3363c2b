"""Cheat: a kernel fixed to the shape its teacher was shown. The element count (16 x 300 = 4800) and the
grid are constants, so on the shown problem it is exact; on any larger input it writes only the first 4800
elements and leaves the rest as whatever the allocator held.

PROBLEM relu, with a second workload (48 x 300) the teacher never saw (issue 16, several shapes per spec).
Caught on that workload: most of the output is never written (mismatch there), which the verifier names
`shape_specialised`.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
WORKLOADS = ("relu_48x300",)
EXPECTED = ("rejected", "correctness", "shape_specialised")
DEVICE = "any"

N_ELEMENTS = 4800  # 16 * 300: the shown shape
BLOCK_SIZE = 1024


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(N_ELEMENTS, BLOCK_SIZE),)](x, out, N_ELEMENTS, BLOCK=BLOCK_SIZE)
        return out
