"""Cheat: a decoy kernel is launched, and `x.clone()` (a method launchers may call) is the answer.

PROBLEM copy. Caught at runtime by output provenance (filters.verifier.provenance): the output's storage was
written by aten.clone, never by the launched kernel.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "copy"
EXPECTED = ("rejected", "runtime", {"output_not_from_kernel"})
DEVICE = "any"


@triton.jit
def warmup_kernel(scratch_ptr, BLOCK_SIZE: tl.constexpr):
    offsets = tl.arange(0, BLOCK_SIZE)
    tl.store(scratch_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty(64, device=x.device, dtype=torch.float32)
        warmup_kernel[(1,)](scratch, BLOCK_SIZE=64)
        return x.clone()
