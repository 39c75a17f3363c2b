"""Honest: an elementwise add in vLLM's launcher style: `@triton.jit(do_not_specialize=[...])` so a changing
length does not recompile, `tl.assume` telling the compiler a stride is positive, and a grid lambda that
reads the block size from the launch's meta-parameters.

PROBLEM add; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


@triton.jit(do_not_specialize=["n_elements"])
def add_kernel(a_ptr, b_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    tl.assume(n_elements > 0)
    pid = tl.program_id(0)
    offs = pid.to(tl.int64) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offs < n_elements
    a = tl.load(a_ptr + offs, mask=mask)
    b = tl.load(b_ptr + offs, mask=mask)
    tl.store(out_ptr + offs, a + b, mask=mask)


class ModelNew(nn.Module):
    def forward(self, a, b):
        a, b = a.contiguous(), b.contiguous()
        out = torch.empty_like(a)
        n = out.numel()
        grid = lambda meta: (triton.cdiv(n, meta["BLOCK_SIZE"]),)  # noqa: E731 - vLLM's idiom
        add_kernel[grid](a, b, out, n, BLOCK_SIZE=512)
        return out
