"""The verifier on a GPU (run on the device machine; skipped where torch sees no GPU): the same verdicts as
on CPU where the interpreter can judge, and real verdicts where it cannot (TF32)."""

from __future__ import annotations

import json

import pytest

from kerneldata.core.config import SpecsConfig, TeacherConfig
from kerneldata.core.outcomes import Reason, Status
from filters.verify import VerifyOptions, verify
from generators.specs import SpecSampler
from generators.teachers.builtin import BuiltinTeacher
from tests.filters import candidates as c

pytestmark = pytest.mark.gpu
GPU = VerifyOptions(device="cuda", timeout_s=120, num_seeds=2)


def _verify(candidate, problem=c.RELU_PROBLEM):
    return verify(problem, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=GPU)


def test_honest_kernel_is_accepted_on_gpu():
    verdict = _verify(c.HONEST)
    assert verdict.status is Status.ACCEPTED, verdict
    assert verdict.device == "cuda" and (" sm_" in verdict.hardware or " gfx" in verdict.hardware)


@pytest.mark.parametrize(
    ("candidate", "problem", "reason"),
    [
        (c.WRONG_VALUES, c.RELU_PROBLEM, Reason.MISMATCH),
        (c.TF32_MATMUL, c.MATMUL_PROBLEM, Reason.MISMATCH),  # judged here, unverified under the interpreter
        (c.MISSES_THE_TAIL, c.RELU_PROBLEM, Reason.NON_FINITE),
        (c.RETURNS_INPUT, c.COPY_PROBLEM, Reason.OUTPUT_ALIASES_INPUT),
        (c.MUTATES_INPUT, c.RELU_PROBLEM, Reason.INPUT_MUTATED),
        (c.SKIPS_THE_KERNEL, c.ZEROS_PROBLEM, Reason.NO_KERNEL_LAUNCHED),
    ],
    ids=lambda value: value.value if isinstance(value, Reason) else "",
)
def test_bad_candidates_are_rejected_on_gpu(candidate, problem, reason):
    verdict = _verify(candidate, problem)
    assert verdict.status is Status.REJECTED and verdict.reason_code is reason, verdict


def test_ieee_matmul_is_accepted_on_gpu():
    assert _verify(c.IEEE_MATMUL, c.MATMUL_PROBLEM).status is Status.ACCEPTED


def test_builtin_teacher_verdicts_on_gpu():
    """Every unflawed template passes on the GPU and every flaw is caught (TF32 included)."""
    specs = SpecSampler(SpecsConfig(num_specs=12), seed=0).sample(12)
    teacher = BuiltinTeacher(TeacherConfig(samples_per_spec=4), seed=0)
    wrong = []
    for spec in specs:
        for row in teacher.generate(spec.to_row()):
            verdict = verify(row["reference_code"], row["code"], dtype=row["dtype"], atol=row["atol"],
                             rtol=row["rtol"], options=GPU)
            flaw = json.loads(row["teacher_meta"])["flaw"]
            # a tanh GELU is within fp16's tolerance, so only fp32 must reject it
            should_pass = flaw is None or (flaw == "tanh_gelu" and row["dtype"] == "float16")
            if (verdict.status is Status.ACCEPTED) != should_pass:
                wrong.append((row["spec_id"], flaw, verdict))
    assert not wrong, wrong
