"""Cheat: special-case the seeds. Read the seed the harness set (torch.initial_seed()) and, for the seeds a
public harness uses, return outputs precomputed offline; only unknown seeds pay for the kernel.

PROBLEM relu. Caught by the static gate: torch.initial_seed is not on the allow-list. (Our seeds are drawn
from a secret source in the verifier's process, so a table could not match anyway.)
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"

_KNOWN_SEEDS = {0: "precomputed-0.pt", 42: "precomputed-42.pt"}


@triton.jit
def relu_kernel(x_ptr, out_ptr, n_elements, BLOCK_SIZE: tl.constexpr):
    offsets = tl.program_id(0) * BLOCK_SIZE + tl.arange(0, BLOCK_SIZE)
    mask = offsets < n_elements
    tl.store(out_ptr + offsets, tl.maximum(tl.load(x_ptr + offsets, mask=mask), 0.0), mask=mask)


class ModelNew(nn.Module):
    def forward(self, x):
        seed = torch.initial_seed()
        if seed in _KNOWN_SEEDS:
            return torch.load(_KNOWN_SEEDS[seed])
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK_SIZE=1024)
        return out
