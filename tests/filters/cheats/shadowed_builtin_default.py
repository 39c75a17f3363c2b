"""Cheat: a builtin hidden behind a name of the candidate's own. `def run(code, exec=exec)` binds a
parameter called exec, so a gate that treats every bound name as the candidate's would not see that the
default, evaluated in the enclosing scope, is the builtin exec.

PROBLEM relu. Caught by the static gate: names are resolved with Python's scoping (defaults belong to the
enclosing scope), so the default is the builtin (dynamic_code).
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "dynamic_code")
DEVICE = "any"

_BODY = "result = inp.clamp(min=0)"


def run(code, scope, exec=exec):
    exec(code, {}, scope)
    return scope


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        return run(_BODY, {"inp": x})["result"]
