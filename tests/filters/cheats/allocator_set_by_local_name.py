"""Cheat (Triton's allocator set through a local name): `register = triton.set_allocator` inside forward, then
`register(lambda size, alignment, stream: out)`: the call no longer names `triton.set_allocator`, so a check of
what the allocator returns that looks for that name at the call never sees it, and the scratch memory Triton
writes its descriptors into is the output the caller reads back.

Should be caught by: `triton.set_allocator` may only be called where it is named, never taken as a value.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def relu_desc_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    x_desc = tl.make_tensor_descriptor(x_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    o_desc = tl.make_tensor_descriptor(out_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    off = tl.program_id(0) * BLOCK
    o_desc.store([off], tl.maximum(x_desc.load([off]), 0.0))


class ModelNew(nn.Module):
    def forward(self, x):
        x = x.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        register = triton.set_allocator
        register(lambda size, alignment, stream: out)
        relu_desc_kernel[(triton.cdiv(n, 256),)](x, out, n, BLOCK=256)
        return out
