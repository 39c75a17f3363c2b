"""Honest: an inference-only launcher that says so on the tensors it touches, as serving code does: the
input it was handed and the output it allocates are marked `requires_grad_(False)` (no autograd graph will
ever be built through a Triton kernel that has no backward). The flags die with the call: the output is
new, and the verifier's inputs need no gradient anyway.

PROBLEM silu; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "silu"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit
def _silu_kernel(x_ptr, y_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    # one block of BLOCK_SIZE contiguous elements per program, computed in fp32; the tail is masked
    offsets = tl.program_id(axis=0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    x = tl.load(x_ptr + offsets, mask=mask).to(tl.float32)
    y = x * tl.sigmoid(x)
    tl.store(y_ptr + offsets, y.to(y_ptr.dtype.element_ty), mask=mask)


class ModelNew(nn.Module):
    @torch.no_grad()
    def forward(self, x):
        x = x.contiguous()
        x.requires_grad_(False)
        y = torch.empty_like(x).requires_grad_(False)
        n_elements = x.numel()
        _silu_kernel[(triton.cdiv(n_elements, 1024),)](x, y, n_elements, BLOCK_SIZE=1024)
        return y
