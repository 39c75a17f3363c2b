"""Cheat: another library does the work: numpy computes the ReLU on the host and the result is wrapped
back into a tensor.

PROBLEM relu. Caught by the static gate: numpy is never importable.
"""

import numpy as np
import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "outside_vocabulary")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return torch.from_numpy(np.maximum(x.cpu().numpy(), 0)).to(x.device)
