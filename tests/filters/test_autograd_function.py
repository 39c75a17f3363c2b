"""Kernels wrapped in torch.autograd.Function, the way Liger-Kernel, Unsloth and the Triton tutorials ship
them: the gate accepts the wrapper (forward checked like any method), lets a backward that forward cannot
reach compute with PyTorch (the verifier runs forward only), and refuses every way forward could reach that
backward or the autograd graph."""

from __future__ import annotations

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.static import static_check
from filters.verifier.verify import verify
from kerneldata.core.outcomes import Reason, Status
from tests.filters import candidates as c

HEADER = '''
import torch
import torch.nn as nn
import triton
import triton.language as tl


@triton.jit
def _relu_fwd(x_ptr, out_ptr, n, BLOCK: tl.constexpr):
    offs = tl.program_id(0) * BLOCK + tl.arange(0, BLOCK)
    m = offs < n
    x = tl.load(x_ptr + offs, mask=m)
    tl.store(out_ptr + offs, tl.maximum(x, 0.0), mask=m)


def relu_forward(x):
    x = x.contiguous()
    out = torch.empty_like(x)
    n = x.numel()
    _relu_fwd[(triton.cdiv(n, 1024),)](x, out, n, BLOCK=1024)
    return out
'''

# Honest, in Liger-Kernel's shape: the backward helper computes the gradient with torch (as Liger's sums a
# weight gradient), called from the Function's backward only.
HONEST = HEADER + '''

def relu_backward(x, grad):
    return grad * (x > 0).to(grad.dtype)


class LigerStyleReluFunction(torch.autograd.Function):
    """ReLU whose forward is a Triton kernel."""

    @staticmethod
    def forward(ctx, x):
        out = relu_forward(x)
        ctx.save_for_backward(x)
        return out

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return relu_backward(x, grad)


class ModelNew(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return LigerStyleReluFunction.apply(x)
'''


def _gate(code: str):
    return static_check(code, dtype="float32", device="cuda")


def test_an_autograd_function_with_a_torch_backward_passes_the_gate_and_is_accepted():
    assert _gate(HONEST) is None
    verdict = verify(c.RELU_PROBLEM, HONEST, dtype="float32", atol=1e-5, rtol=1e-5,
                     options=VerifyOptions(device="cpu", timeout_s=120, num_seeds=1))
    assert verdict.status is Status.ACCEPTED, verdict.reason


@pytest.mark.parametrize(("name", "change", "reason"), [
    # forward runs the backward by hand, where PyTorch computes
    ("backward called from forward",
     ("return LigerStyleReluFunction.apply(x)",
      "return LigerStyleReluFunction.backward(None, x)"), Reason.REFLECTION),
    # the same through the graph node of a forward output
    ("the graph's node",
     ("return LigerStyleReluFunction.apply(x)",
      "y = LigerStyleReluFunction.apply(x)\n        return y.grad_fn(x)"), Reason.REFLECTION),
    # the torch helper is also named by forward: checked as forward's code
    ("helper shared with forward",
     ("return LigerStyleReluFunction.apply(x)", "return relu_backward(x, x)"), Reason.TORCH_OUTSIDE_KERNEL),
    # PyTorch in the Function's forward is forward's work
    ("torch in the Function's forward",
     ("        out = relu_forward(x)\n", "        out = torch.relu(x)\n"), Reason.TORCH_OUTSIDE_KERNEL),
    # apply on the context (it runs the backward) is not the Function's apply
    ("ctx.apply",
     ("        out = relu_forward(x)\n", "        out = ctx.apply(x)\n"), Reason.CROSS_CALL_STATE),
    # a name rebound at module level is not known to be the Function
    ("rebound Function name",
     ("class ModelNew(nn.Module):", "LigerStyleReluFunction = nn.Module\n\n\nclass ModelNew(nn.Module):"),
     Reason.CROSS_CALL_STATE),
])
def test_forward_cannot_reach_the_backward(name, change, reason):
    old, new = change
    assert old in HONEST, name
    verdict = _gate(HONEST.replace(old, new))
    assert verdict is not None and verdict.reason_code is reason, (name, verdict)


def test_a_forward_aliased_to_the_backward_computes_nothing_it_keeps():
    """`forward = ...` in the class body: the Function's backward gets no exemption, and the torch helper
    it names is checked as forward's code; where the gate cannot type the helper's arguments, the run-time
    recorder sees the PyTorch ops forward ran."""
    code = HONEST.replace(
        "    @staticmethod\n    def forward(ctx, x):\n        out = relu_forward(x)\n        ctx.save_for_backward(x)\n"
        "        return out\n",
        "    forward = staticmethod(lambda ctx, x: relu_backward(x, (x > 0).to(x.dtype) + 1))\n")
    verdict = verify(c.RELU_PROBLEM, code, dtype="float32", atol=1e-5, rtol=1e-5,
                     options=VerifyOptions(device="cpu", timeout_s=120, num_seeds=1))
    assert verdict.status is Status.REJECTED, verdict.reason
    assert verdict.reason_code in (Reason.TORCH_OUTSIDE_KERNEL, Reason.TORCH_COMPUTE, Reason.NO_KERNEL_LAUNCHED), verdict


def test_a_memo_in_a_function_is_still_state():
    code = HONEST.replace('''    @staticmethod
    def forward(ctx, x):
        out = relu_forward(x)''', '''    seen = {}

    @staticmethod
    def forward(ctx, x):
        out = LigerStyleReluFunction.seen.setdefault(x.shape, relu_forward(x))''')
    verdict = _gate(code)
    assert verdict is not None, "a dict kept on the Function class across calls"


def test_the_context_keeps_what_the_backward_needs_but_nothing_else_does():
    keeps = HONEST.replace("        ctx.save_for_backward(x)\n", "        ctx.n = x.numel()\n        ctx.save_for_backward(x)\n")
    assert _gate(keeps) is None  # Liger's `ctx.eps = eps`: the per-call context object
    rebound = keeps.replace("        ctx.n = x.numel()\n", "        ctx = LigerStyleReluFunction\n        ctx.n = x.numel()\n")
    assert _gate(rebound) is not None  # no longer the context autograd made for this call
    on_class = keeps.replace("        ctx.n = x.numel()\n", "        LigerStyleReluFunction.n = x.numel()\n")
    verdict = _gate(on_class)
    assert verdict is not None and verdict.reason_code is Reason.MONKEYPATCH
