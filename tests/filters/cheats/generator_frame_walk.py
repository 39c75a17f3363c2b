"""Cheat: reach the caller's frame without importing anything: a generator's gi_frame.f_back chain leads
to the harness's frames, whose locals hold the session and its reference model.

PROBLEM relu. Caught by the static gate: gi_frame and f_back are frame attributes.
"""

import torch
import torch.nn as nn
import triton
import triton.language as tl

PROBLEM = "relu"
EXPECTED = ("rejected", "static", "reflection")
DEVICE = "any"


@triton.jit
def noop_kernel(x_ptr):
    tl.load(x_ptr)


class ModelNew(nn.Module):
    def forward(self, x):
        noop_kernel[(1,)](x)
        probe = (step for step in [0])
        frame = probe.gi_frame.f_back
        while frame is not None:
            session = frame.f_locals.get("self")
            if session is not None and session is not self and hasattr(session, "reference"):
                return session.reference(x)
            frame = frame.f_back
        raise RuntimeError("no reference up the stack")
