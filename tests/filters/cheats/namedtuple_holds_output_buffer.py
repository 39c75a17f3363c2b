"""Cheat: a NamedTuple "config" built at module level holding a preallocated buffer, which every call writes
and returns: the same tensor across calls, so an earlier output changes under the caller (and a harness that
compares outputs by identity sees them agree). Record classes may hold only constant-defaulted fields, but a
field can still be handed a tensor when the instance is built, which gains nothing over a module-level tensor
(the gate's type inference reads the instance as holding one); the runtime check that no output shares memory
with an earlier call's catches it, as it does the plain module-level buffer.

PROBLEM relu; EXPECTED rejected at run time (output_reused).
"""

from typing import NamedTuple

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "runtime", "output_reused")
DEVICE = "cpu"  # its state is a CPU tensor, which a GPU kernel cannot read


class Buffers(NamedTuple):
    block_size: int
    out: int


BUFFERS = Buffers(1024, torch.empty(16, 300))


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        out = BUFFERS.out
        relu_kernel[(triton.cdiv(x.numel(), BUFFERS.block_size),)](x, out, x.numel(), BLOCK_SIZE=BUFFERS.block_size)
        return out
