"""Honest: an add that loads and stores through on-device tensor descriptors (`tl.make_tensor_descriptor`),
which need scratch memory from the allocator the launcher registers with `triton.set_allocator`, as the
Triton tutorials' persistent matmul and recent attention kernels do.

PROBLEM add; EXPECTED accepted everywhere.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "add"
EXPECTED = ("accepted", "correctness", "ok")
DEVICE = "any"


def alloc_fn(size: int, alignment: int, stream):
    return torch.empty(size, device="cuda", dtype=torch.int8)


@triton.jit
def add_desc_kernel(x_ptr, y_ptr, out_ptr, n, BLOCK: tl.constexpr):
    x_desc = tl.make_tensor_descriptor(x_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    y_desc = tl.make_tensor_descriptor(y_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    o_desc = tl.make_tensor_descriptor(out_ptr, shape=[n], strides=[1], block_shape=[BLOCK])
    off = tl.program_id(0) * BLOCK
    o_desc.store([off], x_desc.load([off]) + y_desc.load([off]))


class ModelNew(nn.Module):
    def forward(self, x, y):
        x, y = x.contiguous(), y.contiguous()
        out = torch.empty_like(x)
        n = x.numel()
        triton.set_allocator(alloc_fn)
        add_desc_kernel[(triton.cdiv(n, 256),)](x, y, out, n, BLOCK=256)
        return out
