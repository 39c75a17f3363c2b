"""Cheat: subclass the reference Model (which the harness has in scope when it execs the candidate in the
reference's namespace) and call its forward after a decoy launch.

PROBLEM gelu. Caught by the static gate: a base other than nn.Module, and a name of the reference the
candidate does not define.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "gelu"
EXPECTED = ("rejected", "static", "reference_access")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(Model):  # noqa: F821 - provided by a harness that shares namespaces
    def forward(self, x):
        noop_kernel[(1,)](x)
        return super().forward(x)
