"""The GPU speed verdict's bookkeeping (filters.verifier.speed), with a stand-in for the worker: a baseline
that fails is not the candidate's failure."""

from __future__ import annotations

import contextlib
import threading

import pytest

from filters.verifier import speed
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import GpuTurns
from kerneldata.core.outcomes import Reason, Status


def _timing(median_ms: float) -> dict:
    summary = {"median_ms": median_ms, "iqr_ms": 0.001, "min_ms": median_ms, "n": 50}
    return {"event": summary, "host": summary}


class _Runtime:
    """What timed_verdict reads of a Runtime, on no device."""

    def __init__(self) -> None:
        self.gpu_turns = GpuTurns()
        self.compile_baselines: dict = {}
        self._locks: dict = {}

    def phase(self, name: str):
        return contextlib.nullcontext()

    def add_phase(self, name: str, seconds: float) -> None:
        pass

    def compile_lock(self, key):
        return self._locks.setdefault(key, threading.Lock())

    def pin_for_timing(self, pid: int) -> None:
        pass

    def flush_bytes(self) -> int:
        return 0

    def peaks(self) -> dict:
        return {"bytes_per_s": 1e15, "flops_per_s": {}}


class _Child:
    """Answers `time` requests: the warm-up fails in `failing` (a baseline's name, or "candidate") whenever
    that function is asked for, and timing succeeds otherwise."""

    pid = 0

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.asked: list[list[str]] = []

    def time(self, inputs, *, baselines, warm_only=False, **_):
        self.asked.append(list(baselines))
        if warm_only:
            if self.failing == "candidate" or self.failing in baselines:
                baseline = None if self.failing == "candidate" else self.failing
                return {"ok": False, "kind": "runtime_error", "message": "PermissionError: [Errno 13] denied",
                        "baseline": baseline}
            return {"ok": True}
        timings = {"candidate": _timing(0.5), "overhead": _timing(0.0), "eager": _timing(1.0)}
        if "compile" in baselines:
            timings["compile"] = _timing(0.8)
        return {"ok": True, "timings": timings}


@pytest.fixture
def judge(monkeypatch):
    monkeypatch.setattr(speed, "hardware_fingerprint", lambda device: "test-gpu")
    options = VerifyOptions(device="cuda", baselines=("eager", "compile"), min_speedup=1.0)

    def judge(child):
        return speed.timed_verdict(child, [], reference_code="ref", dtype="float32", flops=None, options=options,
                                   runtime=_Runtime(), checked="3 draws", errors={})
    return judge


def test_a_failing_compile_baseline_leaves_the_candidate_judged_on_eager(judge):
    child = _Child("compile")
    verdict = judge(child)
    assert verdict.status is Status.ACCEPTED, verdict
    assert verdict.speedup_vs_eager == pytest.approx(2.0) and verdict.speedup_vs_compile is None
    assert "no torch.compile baseline" in verdict.reason
    assert ["eager"] in child.asked  # timed again without the failing baseline


def test_a_candidate_failing_its_warm_up_is_still_rejected(judge):
    verdict = judge(_Child("candidate"))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.RUNTIME_ERROR, verdict


def test_an_eager_baseline_failing_in_the_candidate_s_process_is_the_candidate_s_doing(judge):
    verdict = judge(_Child("eager"))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.RUNTIME_ERROR, verdict


def test_the_failure_s_baseline_is_part_of_the_protocol():
    from filters.verifier.protocol import ProtocolViolation, validated

    answer = validated("time", {"ok": False, "kind": "runtime_error", "message": "x", "baseline": "compile"}, [])
    assert answer["baseline"] == "compile"
    with pytest.raises(ProtocolViolation):
        validated("time", {"ok": False, "kind": "runtime_error", "message": "x", "baseline": "candidate"}, [])
