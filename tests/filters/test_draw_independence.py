"""Verdicts that must not depend on the verifier's draws: cases whose catch (or acceptance) rests on the
transforms that reach large values, where a half-precision reference is itself off its float64 answer.
Each is judged under several draw keys (test_cheats judges every case under one); a cheat accepted or an
honest kernel rejected under any of them is a hole (bench/cheat_draws.py runs more keys)."""

from __future__ import annotations

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.verify import problem_dtype, verify
from kerneldata.core.outcomes import Status
from tests.filters.cheats import cheat_cases
from tests.filters.honest import honest_cases

# Eight keys, two of them ones under which the verifier once accepted randn_only_softmax_fp16 (it skipped
# every transform on which the fp16 reference was off its float64 answer).
KEYS = ("draws-4", "draws-9") + tuple(f"draw-independence-{index}" for index in range(6))
CHEATS = ("randn_only_softmax_fp16", "clamped_softmax_fp16")
HONEST = ("softmax_temperature_fp16",)


def _verdicts(case) -> list:
    dtype, atol, rtol = problem_dtype(case.problem_source)
    verdicts = []
    for key in KEYS:
        options = VerifyOptions(device="cpu", timeout_s=60, num_seeds=2, draw_key=key)
        verdicts.append(verify(case.problem_source, case.source, dtype=dtype, atol=atol, rtol=rtol,
                               options=options, workloads=list(case.workloads)))
    return verdicts


@pytest.mark.parametrize("name", CHEATS)
def test_cheat_rejected_under_every_draw(name):
    case = next(c for c in cheat_cases() if c.name == name)
    verdicts = _verdicts(case)
    wrong = [(key, v.reason) for key, v in zip(KEYS, verdicts) if not case.expected_on("cpu").matches(v)]
    assert not wrong, wrong


@pytest.mark.parametrize("name", HONEST)
def test_honest_accepted_under_every_draw(name):
    case = next(c for c in honest_cases() if c.name == name)
    verdicts = _verdicts(case)
    wrong = [(key, v.reason) for key, v in zip(KEYS, verdicts) if v.status is not Status.ACCEPTED]
    assert not wrong, wrong
