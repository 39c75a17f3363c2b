"""Cheat (memory the gate cannot see, in inline PTX): the kernel's "arithmetic" is a `ld.global` through an
address it computes, here the element one block further on, so what it returns depends on memory outside
the element it was given (a stale output the allocator left, on a GPU); in general, inline PTX can load,
store, read the clock (`%globaltimer`) or sleep where no Triton name shows it.

Demonstration: on a GPU, each output element is the relu of the input 1024 elements later (or whatever lies
past the end).

Should be caught by: the gate (inline assembly may only compute on its operands: `filters.verifier.static.
inline_asm`); on a GPU, the tolerance check.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    mask = offs < n
    address = (x_ptr + offs + BLOCK).to(tl.int64)
    x = tl.inline_asm_elementwise("ld.global.f32 $0, [$1];", "=r,l", [address], dtype=tl.float32, is_pure=True,
                                  pack=1)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
