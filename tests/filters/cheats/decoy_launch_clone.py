"""Cheat: a decoy kernel is launched, and `x.clone()` (a method launchers may call) is the answer.

PROBLEM copy. Not caught yet, like decoy_launch_layout_copy: the copy is torch's, the launch is a decoy.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "copy"
EXPECTED = ("rejected", "runtime", {"no_kernel_launched", "bad_output"})
DEVICE = "any"
XFAIL = "a decoy launch plus x.clone() passes every current runtime check (output provenance is not checked)"


@triton.jit
def warmup_kernel(scratch_ptr, BLOCK_SIZE: tl.constexpr):
    offsets = tl.arange(0, BLOCK_SIZE)
    tl.store(scratch_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty(64, device=x.device, dtype=torch.float32)
        warmup_kernel[(1,)](scratch, BLOCK_SIZE=64)
        return x.clone()
