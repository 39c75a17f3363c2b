"""Cheat: the name of the torch function is assembled from character codes
(`"".join(map(chr, [114, 101, 108, 117]))` is "relu") and looked up on the module's namespace.

PROBLEM relu. Caught by the static gate: getattr is never allowed, whatever string feeds it.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"

_CODES = [114, 101, 108, 117]


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        op = getattr(torch, "".join(map(chr, _CODES)))
        return op(x)
