"""Cheat (allocation the verifier's poison does not reach): `torch.Tensor(rows, cols)`, the legacy
constructor, is on the vocabulary as a name (for annotations and isinstance) and returns memory left as it
was, where torch.empty and its kin are filled with the verifier's poison. The kernel stores only the
positive results and leaves every other element unwritten: on memory that happens to hold zeros (fresh
pages; a buffer a CUDA caching allocator hands back after an earlier call of the same shape held this
answer) the output is right, and the work of the stores is saved. The same hole carries a cache with no
Python state: an output allocated a few elements long, with a fingerprint of the inputs in the tail, is
handed back by the allocator on the next same-shaped call with the old answer and its fingerprint still
in it, and a kernel that finds its fingerprint skips the work (a timing loop calls on the same inputs).

Should be caught by: the gate refusing the legacy constructor outside __init__ (`outside_vocabulary`); an
uninitialised output must come from an allocation the poison fills.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"


@triton.jit
def positive_part_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(out_ptr + offs, x, mask=(offs < n) & (x > 0.0))


class ModelNew(nn.Module):
    def forward(self, x):
        out = torch.Tensor(x.shape[0], x.shape[1])
        positive_part_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
