"""Cheat: the PyTorch call is base64-encoded and evaluated, so the source holds no readable trace of it.

PROBLEM relu. Caught by the static gate: base64 is never importable (and eval never allowed).
"""

import base64

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"

_PAYLOAD = base64.b64encode(b"torch.relu").decode()


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return eval(base64.b64decode(_PAYLOAD).decode())(x)
