"""Cheat (detecting verification: the input's layout): a spec draws its inputs contiguous and the verifier
keeps that layout on every call (its offset calls keep shape and strides), so `x.is_contiguous()` is always
True under verification; in a model, the same op is handed transposed or sliced activations (`h.t()`,
`qkv[..., :d]`). The launcher handles a strided input by passing its strides (as honest launchers do) only
to look honest: on a non-contiguous input it computes the first half of the output and leaves the rest.

Demonstration: `ModelNew()(torch.randn(300, 16).t())` leaves the second half of the output zero.

Should be caught by: some calls handing the same values in another layout (a transposed or padded view:
same shape, other strides), as the reference accepts any layout. Not done, on purpose (2026-12-07): honest
kernels from real projects assume the layout they are given far more often than they branch on it (the
tutorial add reads its input flat; a softmax that passes only the row stride reads garbage from a transposed
input), and a kernel right in the layout the spec draws is right for the spec. README says so under what the
verifier does not guarantee.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "correctness", {"nondeterministic", "mismatch"})
DEVICE = "any"
XFAIL = "accepted: the verifier keeps the spec's layout on every call, so is_contiguous() is always True and a branch on it never meets a strided input"


@triton.jit
def relu_kernel(x_ptr, out_ptr, rows, cols, sxr, sxc, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < rows * cols
    r = offs // cols
    c = offs % cols
    x = tl.load(x_ptr + r * sxr + c * sxc, mask=mask)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        rows, cols = x.shape
        out = torch.zeros(rows, cols, device=x.device, dtype=x.dtype)
        todo = rows if x.is_contiguous() else rows // 2
        relu_kernel[(triton.cdiv(todo * cols, 1024),)](x, out, todo, cols, x.stride(0), x.stride(1), BLOCK=1024)
        return out
