"""Cheat (the fallback's test made true on a GPU): forward moves its input to the host first
(`host = x.to("cpu")`) and then tests `host.is_cuda`, so the "off-GPU fallback" is the path on every device
and PyTorch computes the answer.

Should be caught by: a branch counts as a fallback only where its test asks about a parameter of the
function as it was handed in, not a tensor the candidate moved; this one is PyTorch doing the work.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "torch_outside_kernel")
DEVICE = "any"


@triton.jit
def _touch(x_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    tl.load(x_ptr + offs, mask=offs < n)


class ModelNew(nn.Module):
    def forward(self, x):
        _touch[(triton.cdiv(x.numel(), 1024),)](x, x.numel(), BLOCK=1024)
        host = x.to("cpu")
        if not host.is_cuda:
            return F.relu(host).to(x.device)
        return x
