"""Calls under a mode the reference's own answer moves under (a matmul under autocast, or with TF32 allowed):
held to the plain answer at the precision the mode allows (comparison.compare_lowered), never left out."""

from __future__ import annotations

import pytest
import torch

from filters.verifier.comparison import compare_lowered
from filters.verifier.truth import float64_truth
from kerneldata.core.outcomes import Reason


class Matmul(torch.nn.Module):
    def forward(self, a, b):
        return a @ b


class LinearNorm(torch.nn.Module):
    """A projection whose output is normalised: the rounding of its operands reaches the output through a
    division by the row's scale, where a sum of magnitudes alone is no bound."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(256, 128)

    def forward(self, x):
        return torch.nn.functional.layer_norm(self.proj(x), (128,))


def _rounded(x, allowed: str):
    """`x` with its mantissa cut to `allowed`'s (TF32 keeps fp16's 10 bits in fp32's range)."""
    if allowed == "bfloat16":
        return x.to(torch.bfloat16).float()
    bits = x.float().view(torch.int32)
    return ((bits + 0x1000) & ~0x1FFF).view(torch.float32)  # 13 low bits rounded away: 10 left


@pytest.mark.parametrize("allowed", ["float16", "bfloat16"])
@pytest.mark.parametrize("inner", [64, 4096])
def test_a_kernel_following_the_mode_passes_and_one_computing_part_of_the_answer_does_not(allowed, inner):
    torch.manual_seed(inner)
    model = Matmul()
    a, b = torch.randn(96, inner), torch.randn(inner, 80)
    expected = [model(a, b)]
    truth = float64_truth(model, [a, b])
    following = [_rounded(a, allowed) @ _rounded(b, allowed)]  # operands rounded, products summed in fp32
    assert compare_lowered(following, expected, truth, allowed, atol=1e-4, rtol=1e-4)[0] is None
    half = following[0].clone()
    half[48:] = 0  # the rows a launcher skipped under the mode
    rejection = compare_lowered([half], expected, truth, allowed, atol=1e-4, rtol=1e-4)[0]
    assert rejection is not None and rejection.reason_code is Reason.MISMATCH


def test_the_spread_covers_a_normalised_projection():
    torch.manual_seed(0)
    model = LinearNorm()
    x = torch.randn(64, 256)
    with torch.no_grad():
        expected = [model(x)]
    truth = float64_truth(model, [x])
    with torch.no_grad():
        weight, bias = _rounded(model.proj.weight, "float16"), model.proj.bias
        following = [torch.nn.functional.layer_norm(_rounded(x, "float16") @ weight.t() + bias, (128,))]
    assert compare_lowered(following, expected, truth, "float16", atol=1e-4, rtol=1e-4)[0] is None
    assert compare_lowered([following[0] * 1.05], expected, truth, "float16", atol=1e-4, rtol=1e-4)[0] is not None


def test_only_modes_the_reference_moves_under_allow_a_lower_precision():
    from filters.verifier import disguise
    from filters.verifier.checks import CandidateChecks, Problem
    from filters.verifier.options import VerifyOptions
    from filters.verifier.runtime import Runtime

    checks = CandidateChecks.__new__(CandidateChecks)
    checks.device, checks.reference_answers = "cpu", {}
    checks.options, checks.runtime = VerifyOptions(device="cpu"), Runtime.__new__(Runtime)

    def problem(model, inputs):
        return Problem(reference=None, code=repr(model), model=model, dtype="float32", atol=1e-4, rtol=1e-4), inputs

    relu = problem(torch.nn.ReLU(), [torch.randn(8, 8)])
    matmul = problem(Matmul(), [torch.randn(8, 8), torch.randn(8, 8)])
    for ambient in disguise.ambients():
        assert checks.precision_allowed(*relu, ambient) is None
    assert checks.precision_allowed(*matmul, disguise.Ambient(autocast="float16")) == "float16"
    assert checks.precision_allowed(*matmul, disguise.Ambient(tf32="on")) == "float16"
    assert checks.precision_allowed(*matmul, disguise.Ambient(autocast="bfloat16", tf32="on")) == "bfloat16"
    assert checks.precision_allowed(*matmul, disguise.Ambient(tf32="off")) is None


def test_a_mode_never_holds_a_call_finer_than_the_spec():
    from filters.verifier import disguise
    from filters.verifier.checks import CandidateChecks, Problem

    checks = CandidateChecks.__new__(CandidateChecks)
    checks.device, checks.reference_answers = "cpu", {}
    inputs = [torch.randn(8, 8, dtype=torch.bfloat16), torch.randn(8, 8, dtype=torch.bfloat16)]
    bf16 = Problem(reference=None, code="bf16 matmul", model=Matmul(), dtype="bfloat16", atol=2e-2, rtol=2e-2)
    assert checks.precision_allowed(bf16, inputs, disguise.Ambient(autocast="float16")) == "bfloat16"


def test_an_output_in_either_half_dtype_under_autocast_is_compared_at_its_precision():
    from filters.verifier.checks import _half_output_dtype

    fp32 = torch.zeros(4)
    assert _half_output_dtype([fp32.half()], [fp32]) == "float16"  # custom_fwd(cast_inputs=fp16) under bf16 autocast
    assert _half_output_dtype([fp32.bfloat16(), fp32.half()], [fp32, fp32]) == "bfloat16"
    assert _half_output_dtype([fp32], [fp32]) is None
    assert _half_output_dtype([fp32.half()], [fp32.double()]) is None


def test_a_mode_the_reference_cannot_run_under_is_left_out():
    """PyTorch refuses binary_cross_entropy under CUDA autocast (and so no user runs it so): the call keeps
    no autocast rather than be held to an answer that does not exist."""
    from filters.verifier import disguise
    from filters.verifier.checks import CandidateChecks, Problem

    class RefusesAutocast(torch.nn.Module):
        def forward(self, x):
            if torch.is_autocast_enabled("cpu"):
                raise RuntimeError("unsafe to autocast")
            return x * 2

    checks = CandidateChecks.__new__(CandidateChecks)
    checks.device, checks.reference_answers = "cpu", {}
    refusing = Problem(reference=None, code="refuses", model=RefusesAutocast(), dtype="float32", atol=1e-4, rtol=1e-4)
    relu = Problem(reference=None, code="relu", model=torch.nn.ReLU(), dtype="float32", atol=1e-4, rtol=1e-4)
    cast = disguise.Ambient(autocast="float16", tf32="on", compiling=True)
    assert checks.runnable(refusing, [torch.randn(4)], cast) == disguise.Ambient(tf32="on", compiling=True)
    assert checks.runnable(relu, [torch.randn(4)], cast) == cast
