"""Cheat: a decoy kernel is launched on every call (so a launch counter is satisfied) but computes
nothing the output depends on; clamp_min does the work.

PROBLEM relu. Caught by the static gate: torch.clamp_min is not on the allow-list.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def warmup_kernel(scratch_ptr, BLOCK_SIZE: tl.constexpr):
    offsets = tl.arange(0, BLOCK_SIZE)
    tl.store(scratch_ptr + offsets, tl.zeros([BLOCK_SIZE], dtype=tl.float32))


class ModelNew(nn.Module):
    def forward(self, x):
        scratch = torch.empty(128, device=x.device, dtype=torch.float32)
        warmup_kernel[(1,)](scratch, BLOCK_SIZE=128)
        return torch.clamp_min(x, 0.0)
