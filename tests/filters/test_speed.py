"""The GPU speed verdict's bookkeeping (filters.verifier.speed), with a stand-in for the worker: a baseline
that fails is not the candidate's failure."""

from __future__ import annotations

import contextlib
import threading

import pytest
import torch

from filters.verifier import speed
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import GpuTurns
from kerneldata.core.outcomes import Reason, Status


def _summary(median_ms: float) -> dict:
    return {"median_ms": median_ms, "iqr_ms": 0.001, "min_ms": median_ms, "n": 50}


def _timing(median_ms: float, *, host_ms: float | None = None, after_ms: float | None = None) -> dict:
    """A timed function: its events saw `median_ms`; the host clock saw `host_ms` over the call (default: the
    same), `after_ms` of it after the call returned (default: the events' time, the work still running)."""
    return {"event": _summary(median_ms), "host": _summary(median_ms if host_ms is None else host_ms),
            "after": _summary(median_ms if after_ms is None else after_ms)}


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

    def __init__(self, failing: str = "", candidate: dict | None = None, eager: dict | None = None,
                 overhead: dict | None = None) -> None:
        self.failing = failing
        self.candidate = candidate or _timing(0.5)
        self.eager = eager or _timing(1.0)
        self.overhead = overhead or _timing(0.0)
        self.asked: list[list[str]] = []

    def time(self, inputs, *, baselines, warm_only=False, **_):
        self.asked.append(list(baselines))
        if warm_only:
            if self.failing == "candidate" or self.failing in baselines:
                baseline = None if self.failing == "candidate" else self.failing
                return {"ok": False, "kind": "runtime_error", "message": "PermissionError: [Errno 13] denied",
                        "baseline": baseline}
            return {"ok": True}
        timings = {"candidate": self.candidate, "overhead": self.overhead, "eager": self.eager}
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


def test_launch_overhead_is_charged_not_refused(judge):
    """A launch-bound kernel: the host spends 0.25 ms launching a call whose events see 8 us (the driver submits
    the first event with the kernel), and the device is idle once the call returns. Not work outside the
    timed stream: accepted, at the host clock's cost; eager's launches are costed alike."""
    child = _Child(candidate=_timing(0.008, host_ms=0.26, after_ms=0.01),
                   eager=_timing(0.006, host_ms=0.52, after_ms=0.008))
    verdict = judge(child)
    assert verdict.status is Status.ACCEPTED, verdict
    assert verdict.runtime_ms == pytest.approx(0.26)
    assert verdict.speedup_vs_eager == pytest.approx(2.0)


@pytest.mark.parametrize("in_call_ms", [0.01, 100.0])
@pytest.mark.parametrize("unseen_ms", [1.5, 5.0])
def test_device_work_after_the_call_returned_is_refused(judge, unseen_ms, in_call_ms):
    """Device work the closing synchronise waits for beyond what the events saw, past the backstop's slack
    (kernels launched off the caller's stream are refused where they are launched: test_off_stream_launches).
    Refused however much host work inside the call (which must not buy room) the call spent before it
    returned."""
    child = _Child(candidate=_timing(0.01, host_ms=in_call_ms + 0.01 + unseen_ms, after_ms=0.01 + unseen_ms),
                   eager=_timing(500.0))
    verdict = judge(child)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.TIMING_MISMATCH, verdict
    assert verdict.runtime_ms >= unseen_ms  # and the work it hid is on its bill


@pytest.mark.parametrize("unseen_ms", [0.03, 0.35])
def test_other_processes_time_slices_after_the_call_are_not_hidden_work(judge, unseen_ms):
    """What four verifiers sharing an H100 read after honest launch-bound calls returned (2026-12-07): another
    process's time slice, not work of the candidate's (the wait is on the call's bill, and eager's alike)."""
    child = _Child(candidate=_timing(0.007, host_ms=0.05 + unseen_ms, after_ms=0.01 + unseen_ms),
                   eager=_timing(0.006, host_ms=0.1 + unseen_ms, after_ms=0.01 + unseen_ms))
    verdict = judge(child)
    assert verdict.status is Status.ACCEPTED, verdict


def test_a_wait_the_interleaved_empty_call_shares_is_not_the_candidate_s(judge):
    """Another process holding the device for 1.6 ms time slices through the measurement: the empty call timed
    between the candidate's calls (filters.verifier.timing.OVERHEAD) waits as long after returning, so the
    wait is the device's, not work of the candidate's (an honest 7.6 us softmax was rejected on an H100 with
    the empty call calibrated apart); a side stream's work on top of the same wait is still refused."""
    contended = _timing(0.0, host_ms=1.61, after_ms=1.61)
    child = _Child(candidate=_timing(0.0076, host_ms=1.62, after_ms=1.62), eager=_timing(0.006, host_ms=1.62),
                   overhead=contended)
    assert judge(child).reason_code is not Reason.TIMING_MISMATCH
    hiding = _Child(candidate=_timing(0.0076, host_ms=4.62, after_ms=4.62), eager=_timing(5.0), overhead=contended)
    assert judge(hiding).reason_code is Reason.TIMING_MISMATCH


def test_timing_over_placements_is_the_mean_of_their_medians():
    from filters.verifier.timing import over_placements

    def timed(median_ms, iqr_ms=0.01):
        return {"candidate": {"event": {"median_ms": median_ms, "iqr_ms": iqr_ms, "min_ms": median_ms - 0.01,
                                        "n": 25}}}

    # A two-input kernel that runs at 0.246 or 0.305 ms with where its inputs landed (H100, BENCHMARKS.md)
    rounds = [timed(0.246), timed(0.305, iqr_ms=0.03), timed(0.246), timed(0.305)]
    event = over_placements(rounds)["candidate"]["event"]
    assert event["median_ms"] == pytest.approx((0.246 + 0.305) / 2)
    assert event["iqr_ms"] == pytest.approx(0.03) and event["min_ms"] == pytest.approx(0.236)
    assert event["n"] == 100 and event["placements_ms"] == [0.246, 0.305, 0.246, 0.305]
    assert over_placements([timed(0.3)]) == timed(0.3)  # one placement: as timed
    from filters.verifier.protocol import validated

    timings = {"candidate": {part: over_placements(rounds)["candidate"]["event"] for part in ("event", "host",
                                                                                              "after")}}
    assert validated("time", {"ok": True, "timings": timings}, [])["timings"]["candidate"]["event"]["n"] == 100


def test_large_inputs_are_timed_over_placements_and_small_ones_once(monkeypatch):
    """Inputs of PLACED_INPUT_BYTES or more: timed on themselves, then on copies elsewhere in memory (same
    values, other addresses), the calls shared out; smaller (launch-bound) inputs: one placement."""
    from filters.verifier import timing

    seen = []

    def fake_time_calls(fns, *, flush, budget_ms, max_iters, warmup_ms):
        seen.append((fns["candidate"](), budget_ms, max_iters, warmup_ms))
        return {"candidate": {"event": {"median_ms": 1.0, "iqr_ms": 0.0, "min_ms": 1.0, "n": max_iters}}}

    monkeypatch.setattr(timing, "time_calls", fake_time_calls)
    big = torch.arange(timing.PLACED_INPUT_BYTES // 4, dtype=torch.float32)
    timed = timing.time_placed(lambda xs: {"candidate": lambda: xs}, [big, 3], placements=4, flush=None,
                               budget_ms=60.0, max_iters=100)
    assert len(seen) == 4 and timed["candidate"]["event"]["n"] == 100
    assert seen[0][0][0] is big and [s[1:] for s in seen] == [(15.0, 25, 10.0)] + [(15.0, 25, 0.0)] * 3
    for placed, *_ in seen[1:]:
        assert placed[0].data_ptr() != big.data_ptr() and torch.equal(placed[0], big) and placed[1] == 3
    seen.clear()
    timing.time_placed(lambda xs: {"candidate": lambda: xs}, [big[:1000]], placements=4, flush=None,
                       budget_ms=60.0, max_iters=100)
    assert [s[1:] for s in seen] == [(60.0, 100, 10.0)]


def test_a_forged_placement_median_is_a_protocol_violation():
    from filters.verifier.protocol import ProtocolViolation, validated

    summary = dict(_summary(1.0), placements_ms=[0.5, -1.0])
    with pytest.raises(ProtocolViolation):
        validated("time", {"ok": True, "timings": {"candidate": {"event": summary, "host": summary,
                                                                 "after": summary}}}, [])


def test_off_stream_launches_are_refused_where_they_are_counted():
    from filters.verifier.checks import run_candidate
    from filters.verifier.ipc import pack_tensors

    class Child:
        runs, device = 1, "cuda"

        def run(self, inputs, variant, **options):
            frame = b"".join(bytes(segment) for segment in pack_tensors([torch.zeros(2)]))
            return {"ok": True, "launches": 1, "off_stream_launches": 1}, [frame, b""]

    _, rejection = run_candidate(Child(), [torch.zeros(2)], dtype="float32", variant=0)
    assert rejection.reason_code is Reason.BACKGROUND_WORK and "off the caller's stream" in rejection.reason


def test_a_candidate_waiting_inside_its_call_pays_for_it(judge):
    """Work on a side stream the call waits for before it returns (the host blocks inside the call): no race
    for a caller, so not refused, but its whole time is the call's cost, not the events' 0.01 ms."""
    child = _Child(candidate=_timing(0.01, host_ms=2.0, after_ms=0.01), eager=_timing(1.0))
    verdict = judge(child)
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.TOO_SLOW, verdict
    assert verdict.runtime_ms == pytest.approx(2.0)


def test_timings_without_the_after_call_part_are_a_protocol_violation():
    from filters.verifier.protocol import ProtocolViolation, validated

    with pytest.raises(ProtocolViolation):
        validated("time", {"ok": True, "timings": {"candidate": {"event": _summary(1.0), "host": _summary(1.0)}}},
                  [])
