"""State kept across calls in plain Python values (issue 15 section 5), seen at run time even where the static
gate is bypassed (as an unknown gate hole would): a module-level list a call appends to, a counter on the model
or on a class, a module's mode or registry changed by nn.Module machinery. The gate refuses each of these; the runtime is the second line."""

from __future__ import annotations

import pytest

import filters.verifier.verify as verify_module
from filters.verifier.options import VerifyOptions
from filters.verifier.verify import problem_dtype, verify
from kerneldata.core.outcomes import Reason, Status
from tests.filters.cheats import CHEATS_DIR
from tests.filters.honest import problem_source

_KERNEL = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl

CALLS = []
HELD = nn.Module()
HELD.register_buffer("b", torch.zeros(1))


class Box:
    seen = []


@triton.jit
def relu_kernel(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    x = tl.load(x_ptr + offs, mask=offs < n, other=0.0)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=offs < n)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()
        self.count = 0

    def forward(self, x):
        {change}
        out = torch.empty_like(x)
        relu_kernel[(triton.cdiv(x.numel(), 1024),)](x, out, x.numel(), BLOCK=1024)
        return out
'''


@pytest.mark.parametrize("change", [
    "CALLS.append(1)", "Box.seen.append(1)", "self.count = self.count + 1",
    # nn.Module machinery keeps a bit or a count in a module's mode and registry, without an assignment
    "HELD.train(not HELD.training)", "self.train(not self.training)",
    "HELD.register_buffer(f'b{len(list(HELD.buffers()))}', torch.empty(0))",
    "HELD.to(torch.float64 if HELD.b.dtype == torch.float32 else torch.float32)",
])
def test_python_state_changed_on_every_call_is_rejected_without_the_gate(monkeypatch, change):
    monkeypatch.setattr(verify_module, "static_check", lambda *args, **kwargs: None)
    problem = problem_source(CHEATS_DIR, "relu")
    dtype, atol, rtol = problem_dtype(problem)
    verdict = verify(problem, _KERNEL.replace("{change}", change), dtype=dtype, atol=atol, rtol=rtol,
                     options=VerifyOptions(device="cpu", timeout_s=60, num_seeds=2))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.KERNEL_STATE, verdict
    assert "a Python value" in verdict.reason


def test_python_state_left_alone_is_accepted_without_the_gate(monkeypatch):
    monkeypatch.setattr(verify_module, "static_check", lambda *args, **kwargs: None)
    problem = problem_source(CHEATS_DIR, "relu")
    dtype, atol, rtol = problem_dtype(problem)
    verdict = verify(problem, _KERNEL.replace("{change}", "n = len(CALLS) + len(Box.seen) + self.count + HELD.training"),
                     dtype=dtype, atol=atol, rtol=rtol, options=VerifyOptions(device="cpu", timeout_s=60, num_seeds=2))
    assert verdict.status is Status.ACCEPTED, verdict
