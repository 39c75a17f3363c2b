"""Every adversarial candidate (tests/filters/cheats) and every honest one (tests/filters/honest) through
the whole verifier, each against the verdict written in its file.

On CPU (Triton interpreter) every case whose verdict the CPU can reach runs; cheats only a GPU catches
run under the `gpu` marker with device="cuda", as do the honest candidates and the runtime cheats (the
static gate does not depend on the device). A cheat the verifier does not catch yet, or an honest
candidate it rejects, is a strict xfail with the reason in its file (`XFAIL`), so closing the hole turns
the test red until the mark goes; a verdict that depends on the verifier's draws (`FLAKY`) is a non-strict
one. Every case is judged under one fixed draw key, so verdicts reproduce from run to run;
bench/cheat_draws.py shows how a case fares under many.

The cases of a device share one verifier runtime, as the pipeline's candidates do (filters.stage): a worker
serves candidate after candidate until one changes its process, which also tests that nothing a case leaves
behind reaches the next one's verdict, and spares a fresh sandboxed interpreter per case.
"""

from __future__ import annotations

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import problem_dtype, verify
from kerneldata.core.outcomes import Status
from tests.filters.cheats import cheat_cases
from tests.filters.honest import honest_cases

# One draw key for every case (the pipeline's keyed draws, filters.verifier.disguise): a verdict here is the
# same on every run, so a failure reproduces; bench/cheat_draws.py judges a case under many keys.
DRAWS = "tests/filters/test_cheats"
CPU = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2, draw_key=DRAWS)
# Correctness and anti-cheat verdicts, not speed: tiny test problems are launch-bound and slower than eager,
# and the torch.compile baseline would only add compile time.
GPU = VerifyOptions(device="cuda", timeout_s=120, num_seeds=2, min_speedup=0.0, baselines=("eager",), draw_key=DRAWS)


def _params(cases, device: str):
    for case in cases:
        expected = case.expected_on(device)
        if expected is None:
            continue  # nothing is promised on this device (a race the interpreter serialises)
        if device == "cuda" and expected.stages == {"static"} and case.device == "any":
            continue  # the static gate is the same on every device; test_static covers it
        xfail = case.xfail_on(device)
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        flaky = case.flaky_on(device)
        if flaky:
            marks.append(pytest.mark.xfail(strict=False, reason=flaky))
        if device == "cuda":
            marks.append(pytest.mark.gpu)
        yield pytest.param(case, id=case.name, marks=marks)


def _verify(case, options: VerifyOptions, runtime: Runtime | None = None):
    dtype, atol, rtol = problem_dtype(case.problem_source)
    return verify(case.problem_source, case.source, dtype=dtype, atol=atol, rtol=rtol, options=options,
                  workloads=list(case.workloads), runtime=runtime)


@pytest.fixture(scope="module")
def cpu_runtime():
    with Runtime("cpu") as runtime:
        yield runtime


@pytest.fixture(scope="module")
def gpu_runtime():
    with Runtime("cuda") as runtime:
        yield runtime


@pytest.mark.parametrize("case", list(_params(cheat_cases(), "cpu")))
def test_cheat_on_cpu(case, cpu_runtime):
    verdict = _verify(case, CPU, cpu_runtime)
    assert verdict.status is not Status.ACCEPTED, f"{case.name} was accepted: {verdict.reason}"
    assert case.expected_on("cpu").matches(verdict), verdict


@pytest.mark.parametrize("case", list(_params(honest_cases(), "cpu")))
def test_honest_on_cpu(case, cpu_runtime):
    verdict = _verify(case, CPU, cpu_runtime)
    assert case.expected_on("cpu").matches(verdict), verdict


@pytest.mark.parametrize("case", list(_params(cheat_cases(), "cuda")))
def test_cheat_on_gpu(case, gpu_runtime):
    verdict = _verify(case, GPU, gpu_runtime)
    assert verdict.status is not Status.ACCEPTED, f"{case.name} was accepted: {verdict.reason}"
    assert case.expected.matches(verdict), verdict


@pytest.mark.parametrize("case", list(_params(honest_cases(), "cuda")))
def test_honest_on_gpu(case, gpu_runtime):
    verdict = _verify(case, GPU, gpu_runtime)
    assert case.expected.matches(verdict), verdict
