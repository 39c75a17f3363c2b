"""generators.refine with the built-in teacher and fake verifiers: the population, keep-k, the stopping
rules, turn-synchronous teacher calls, the feedback a teacher reads, and resuming after a crash."""

from __future__ import annotations

import json
import re

import pytest

from generators.refine import (
    FEEDBACK_VERSION, STOP_ACCEPTED, STOP_BUDGET, STOP_NO_ANSWER, STOP_TARGET, STOP_TURNS, RefineLoop, feedback,
    load_feedback_template, rank, trim_traceback,
)
from generators.specs import OPS, problem_from_op, render as render_problem
from generators.teachers.builtin import BuiltinTeacher
from kerneldata.core.config import RefineConfig, TeacherConfig
from kerneldata.core.outcomes import Reason, Verdict
from kerneldata.core.schema import CANDIDATE_SCHEMA, RAW_SCHEMA, table_from_rows


def spec_row(op: str, dtype: str = "float32", **dims) -> dict:
    return render_problem(problem_from_op(OPS[op], dims, dtype, {}), "test").to_row()


GELU = spec_row("gelu", rows=16, cols=1531)  # tanh_gelu and floor_div_grid flaws apply
SUM = spec_row("sum", rows=8, cols=3000)  # fixed_block applies
MATMUL = spec_row("matmul", m=64, k=64, n=64)  # tf32_dot applies
# Convolutions have no template: the teacher declines.
CONV = spec_row("conv2d", batch=1, in_channels=3, out_channels=8, kernel=3, stride=1, height=8, width=8)


def _meta(row: dict) -> dict:
    return json.loads(row["teacher_meta"])


class FakeVerifier:
    """Verdicts from the teacher's own account of its candidates: a flawed one is rejected (mismatch), a
    correct one accepted; `speedups` (variant -> speedup) makes a GPU-like verifier. Records every call."""

    def __init__(self, speedups: dict[str, float] | None = None, reject_all: bool = False) -> None:
        self.speedups = speedups
        self.reject_all = reject_all
        self.calls: list[list[str]] = []

    def __call__(self, rows: list[dict]) -> list[dict]:
        self.calls.append([row["candidate_id"] for row in rows])
        return [self.judge(row) for row in rows]

    def judge(self, row: dict) -> dict:
        meta = _meta(row)
        if row["code"] is None:
            verdict = Verdict.reject(Reason.NO_CODE, "the teacher's answer holds no candidate code.")
        elif meta.get("flaw") or self.reject_all:
            verdict = Verdict.reject(Reason.MISMATCH, "37 of 24496 output elements differ beyond atol=0.0001.",
                                     max_abs_err=0.25, max_rel_err=0.01)
        elif self.speedups is not None:
            speedup = self.speedups.get(meta["variant"], 1.1)
            verdict = Verdict.accept("ok, timed.", max_abs_err=1e-6, max_rel_err=1e-7, speedup_vs_eager=speedup,
                                     speedup_vs_compile=speedup / 2, runtime_ms=0.1 / speedup)
        else:
            verdict = Verdict.accept("matches the reference under the Triton interpreter.", max_abs_err=1e-6,
                                     max_rel_err=1e-7)
        device, hardware = ("cuda", "NVIDIA H200") if self.speedups is not None else ("cpu", "cpu (interpreter)")
        return {**row, **verdict.to_row(), "device": device, "hardware": hardware}

    @property
    def judged(self) -> int:
        return sum(len(call) for call in self.calls)


class RecordingTeacher(BuiltinTeacher):
    """The built-in teacher, remembering each refine_batch call's requests."""

    def __init__(self, samples: int = 4, seed: int = 0) -> None:
        super().__init__(TeacherConfig(samples_per_spec=samples), seed)
        self.refine_calls: list[list] = []

    def refine_batch(self, requests):
        self.refine_calls.append(list(requests))
        return super().refine_batch(requests)


def _loop(verify, teacher=None, **config) -> RefineLoop:
    return RefineLoop(teacher or RecordingTeacher(), verify, RefineConfig(**{"max_turns": 2, **config}))


# ------------------------------------------------------------------------------------------ the loop


def test_rows_every_round_keep_k_parents_and_turn_synchronous_calls():
    teacher = RecordingTeacher()
    verify = FakeVerifier()
    result = _loop(verify, teacher, keep_k=2, children_per_parent=2, stop_on_accept=False).run([GELU, SUM, MATMUL])
    # Turn 0: 4 per spec; then two rounds of 2 parents x 2 children per spec.
    assert len(result.rows) == 3 * (4 + 2 * 2 * 2)
    assert table_from_rows(result.rows, RAW_SCHEMA).num_rows == len(result.rows)
    assert result.stopped == {s["spec_id"]: STOP_TURNS for s in (GELU, SUM, MATMUL)}
    # One teacher call and one verify call per round, each covering every spec still running.
    assert len(teacher.refine_calls) == 2 and len(verify.calls) == 3
    for call in teacher.refine_calls:
        assert [r.spec_row["spec_id"] for r in call] == [s["spec_id"] for s in (GELU, GELU, SUM, SUM, MATMUL, MATMUL)]
        assert all(r.num_samples == 2 for r in call)
    # Each round's parents are the spec's best two rows so far.
    for round_index, call in enumerate(teacher.refine_calls):
        for spec in (GELU, SUM, MATMUL):
            before = [r for r in result.rows if r["spec_id"] == spec["spec_id"]][: 4 + 4 * round_index]
            parents = [r.parent["candidate_id"] for r in call if r.spec_row is spec]
            assert parents == [r["candidate_id"] for r in rank(before)[:2]]
    children = [r for r in result.rows if r["turn"] > 0]
    ids = {r["candidate_id"]: r for r in result.rows}
    assert all(r["turn"] == ids[r["parent_id"]]["turn"] + 1 for r in children)
    assert all(_meta(r)["feedback_version"] == FEEDBACK_VERSION for r in children)
    assert all(r["prompt"][:-2] == ids[r["parent_id"]]["prompt"] for r in children)
    assert all(r["prompt"][-2] == {"role": "assistant", "content": ids[r["parent_id"]]["completion"]} for r in children)


def test_flawed_first_answers_are_fixed_and_nothing_is_written_twice():
    teacher = RecordingTeacher(samples=6)
    result = _loop(FakeVerifier(), teacher, stop_on_accept=False, keep_k=6).run([GELU, SUM, MATMUL])
    for spec in (GELU, SUM, MATMUL):
        rows = [r for r in result.rows if r["spec_id"] == spec["spec_id"]]
        codes = [r["code"] for r in rows]
        assert len(set(codes)) == len(codes), "a code written twice for one spec"
        flawed = [r for r in rows if _meta(r)["flaw"]]
        assert flawed, spec["ops"]
        for parent in flawed:
            child = next(r for r in rows if r["parent_id"] == parent["candidate_id"])
            assert _meta(child)["answer"] == "fix" and child["status"] == "accepted"
    # Every request carried the codes written for its spec before it.
    for call in teacher.refine_calls:
        for request in call:
            earlier = [r["code"] for r in result.rows if r["spec_id"] == request.spec_row["spec_id"]
                       and r["code"] in request.tried]
            assert len(request.tried) == len(earlier) >= 6


def test_cpu_stops_at_the_first_accepted_kernel_when_asked():
    verify = FakeVerifier()
    result = _loop(verify, stop_on_accept=True).run([SUM])
    accepted_at_turn_0 = any(r["status"] == "accepted" for r in result.rows if r["turn"] == 0)
    assert accepted_at_turn_0 and result.stopped == {SUM["spec_id"]: STOP_ACCEPTED}
    assert len(result.rows) == 4 and len(verify.calls) == 1

    # All four first answers rejected: one round of fixes, then the spec stops at its accepted kernel.
    flawed_first = FakeVerifier()
    flawed_first.judge = lambda row, judge=flawed_first.judge: judge(
        row) if row["turn"] else FakeVerifier(reject_all=True).judge(row)
    result = _loop(flawed_first, stop_on_accept=True, max_turns=3).run([SUM])
    assert result.stopped == {SUM["spec_id"]: STOP_ACCEPTED}
    assert [r["turn"] for r in result.rows] == [0, 0, 0, 0, 1, 1, 1, 1]


def test_gpu_stops_at_the_target_speedup_and_not_at_a_slower_accepted_kernel():
    # Correct first answers at 1.1x; the refinement's grid-stride variant reaches 2x.
    verify = FakeVerifier(speedups={"flat_block": 1.1, "tiled_2d": 1.1, "grid_stride": 2.0})
    teacher = RecordingTeacher(samples=2, seed=1)
    result = _loop(verify, teacher, target_speedup=1.5, stop_on_accept=True, max_turns=6).run([GELU])
    best = rank(result.rows)[0]
    assert best["speedup_vs_eager"] == 2.0 and result.stopped == {GELU["spec_id"]: STOP_TARGET}
    assert max(r["turn"] for r in result.rows) >= 1  # the 1.1x first answers did not stop it
    # Once there, no further round.
    reached = min(r["turn"] for r in result.rows if r["speedup_vs_eager"] == 2.0)
    assert len(teacher.refine_calls) <= reached + 1


def test_the_candidate_budget_goes_to_the_best_parents_first():
    teacher = RecordingTeacher()
    result = _loop(FakeVerifier(), teacher, stop_on_accept=False, max_candidates_per_spec=6).run([SUM])
    assert len(result.rows) == 6 and result.stopped == {SUM["spec_id"]: STOP_BUDGET}
    (call,) = teacher.refine_calls
    assert [r.parent["candidate_id"] for r in call] == [r["candidate_id"] for r in rank(result.rows[:4])[:2]]


def test_a_declined_spec_gets_no_answer_and_stops():
    result = _loop(FakeVerifier(), stop_on_accept=False).run([CONV, SUM])
    assert result.stopped[CONV["spec_id"]] == STOP_NO_ANSWER
    assert [r["reason_code"] for r in result.rows if r["spec_id"] == CONV["spec_id"]] == ["no_code"]
    assert result.stopped[SUM["spec_id"]] == STOP_TURNS


def test_each_spec_is_reported_once_as_it_stops_not_when_the_batch_ends():
    verify = FakeVerifier()
    reported = []
    result = _loop(verify, stop_on_accept=False).run(
        [CONV, SUM], on_stopped=lambda spec_id, why: reported.append((spec_id, why, len(verify.calls))))
    # The declined spec stops after round 1's verdicts (the second verify call), the other after round 2's.
    assert reported == [(CONV["spec_id"], STOP_NO_ANSWER, 2), (SUM["spec_id"], STOP_TURNS, 3)]
    assert dict((spec_id, why) for spec_id, why, _ in reported) == result.stopped


def test_ranking_accepted_by_speed_then_how_far_the_rest_got():
    def row(cid, status, stage, reason, rel=None, speedup=None):
        return {"candidate_id": cid, "status": status, "stage": stage, "reason_code": reason,
                "max_rel_err": rel, "max_abs_err": rel, "speedup_vs_eager": speedup}

    rows = [
        row("static", "rejected", "static", "syntax_error"),
        row("mismatch-far", "rejected", "correctness", "mismatch", rel=0.5),
        row("mismatch-close", "rejected", "correctness", "mismatch", rel=0.01),
        row("compile", "rejected", "compile", "compile_error"),
        row("runtime", "rejected", "runtime", "runtime_error"),
        row("quarantined", "rejected", "speedup", "implausible_speedup"),
        row("cpu-accepted-b", "accepted", "correctness", "ok", rel=1e-6),
        row("cpu-accepted-a", "accepted", "correctness", "ok", rel=1e-7),
        row("fast", "accepted", "correctness", "ok", rel=1e-3, speedup=3.0),
        row("faster", "accepted", "correctness", "ok", rel=1e-3, speedup=4.0),
        row("sandbox", "rejected", "sandbox", "timeout"),
    ]
    assert [r["candidate_id"] for r in rank(rows)] == [
        "faster", "fast", "cpu-accepted-a", "cpu-accepted-b", "mismatch-close", "mismatch-far", "runtime",
        "compile", "static", "quarantined", "sandbox"]


def test_ranking_ignores_measured_errors_and_breaks_ties_by_candidate_id():
    # The verifier's inputs are fresh and unpredictable at every judging, so errors differ between two runs
    # of one config (and a run and its resume): ranking on them chose other parents (issue 17).
    def row(cid, status, stage, reason, rel):
        return {"candidate_id": cid, "status": status, "stage": stage, "reason_code": reason,
                "max_rel_err": rel, "max_abs_err": rel, "speedup_vs_eager": None}

    first = [row("a-accepted", "accepted", "correctness", "ok", 1e-3),
             row("b-accepted", "accepted", "correctness", "ok", 1e-9),
             row("c-mismatch", "rejected", "correctness", "mismatch", 0.9),
             row("d-mismatch", "rejected", "correctness", "mismatch", 1e-3)]
    other_draw = [{**r, "max_rel_err": 1 / (1 + i), "max_abs_err": 1 / (1 + i)} for i, r in enumerate(first)]
    expected = ["a-accepted", "b-accepted", "c-mismatch", "d-mismatch"]
    assert [r["candidate_id"] for r in rank(first)] == expected
    assert [r["candidate_id"] for r in rank(list(reversed(other_draw)))] == expected


def test_a_verifier_that_loses_a_candidate_and_a_teacher_that_answers_the_wrong_spec_are_errors():
    with pytest.raises(RuntimeError, match="no verdict for 4 of 4 candidates"):
        _loop(lambda rows: []).run([SUM])

    class Wandering(RecordingTeacher):
        def refine_batch(self, requests):
            return [dict(row, spec_id="other") for row in super().refine_batch(requests)]

    verify = FakeVerifier()
    with pytest.raises(RuntimeError, match="answered for spec 'other', which it was not asked"):
        _loop(verify, Wandering(), stop_on_accept=False).run([SUM])
    assert verify.judged == 4  # the first answers; the stray ones were refused before verification


# ------------------------------------------------------------------------------------------ resume


class Crash(RuntimeError):
    pass


def test_resume_after_a_crash_mid_loop_gives_the_rows_of_an_uninterrupted_run():
    specs = [GELU, SUM, MATMUL, CONV]
    config = {"stop_on_accept": False, "keep_k": 3, "children_per_parent": 2}
    uninterrupted = _loop(FakeVerifier(), **config).run(specs)

    recorded: dict[str, dict] = {}

    def crashing(rows):  # checkpoints each verdict, and dies in the middle of round 1
        out = []
        for row in rows:
            if len(recorded) == 20:
                raise Crash()
            out.append(FakeVerifier().judge(row))
            recorded[row["candidate_id"]] = out[-1]
        return out

    with pytest.raises(Crash):
        _loop(crashing, **config).run(specs)
    assert 0 < sum(r["turn"] > 0 for r in recorded.values())

    verify = FakeVerifier()
    resumed = _loop(verify, **config).run(specs, judged=recorded)
    assert resumed == uninterrupted
    fresh = {cid for call in verify.calls for cid in call}
    assert fresh.isdisjoint(recorded) and len(fresh) + len(recorded) == len(uninterrupted.rows)


# ------------------------------------------------------------------------------------------ feedback


def _judged(**verdict) -> dict:
    cand = BuiltinTeacher(TeacherConfig(samples_per_spec=1), seed=0).generate(SUM)[0]
    base = {"status": "rejected", "stage": "correctness", "reason_code": "mismatch", "reason": "wrong.",
            "error_detail": None, "max_abs_err": None, "max_rel_err": None, "speedup_vs_eager": None,
            "speedup_vs_compile": None, "runtime_ms": None, "device": "cpu", "hardware": "cpu (interpreter)",
            "verify_seconds": 1.0, "kerneldata_version": "0"}
    return {**cand, **base, **verdict}


def test_feedback_on_a_runtime_error_quotes_the_trimmed_traceback():
    frames = "\n".join(f'  File "candidate.py", line {n}, in kernel\n    x = step_{n}(x)' for n in range(40))
    detail = f"{frames}\nIndexError: index 4096 is out of bounds"
    row = _judged(stage="runtime", reason_code="runtime_error",
                  reason="the candidate fails when run: IndexError: index 4096 is out of bounds", error_detail=detail)
    text = feedback(row, target_speedup=1.5)
    assert text.startswith("The verifier rejected your kernel at the `runtime` check (`runtime_error`): the "
                           "candidate fails when run: IndexError")
    quoted = re.search(r"```\n(.*?)\n```", text, re.DOTALL)[1].splitlines()
    assert quoted[0] == "... (69 earlier lines left out)" and len(quoted) == 1 + 12
    assert quoted[-1] == "IndexError: index 4096 is out of bounds" and "step_39" in quoted[-2]
    assert "step_0(" not in text
    assert "The forward pass raises" in text  # the runtime_error hint
    assert text.rstrip().endswith("one ```python block.")


def test_feedback_on_a_mismatch_gives_the_errors_against_the_tolerances():
    row = _judged(reason="12 of 8 output elements differ (first at index (3,)).", max_abs_err=0.0123,
                  max_rel_err=0.00456)
    text = feedback(row, target_speedup=1.5)
    assert "first at index (3,)" in text
    assert "max abs err 0.0123, relative L2 error 0.00456" in text
    assert "atol=0.0001, rtol=0.0001" in text and "at most 1e-05 for float32" in text
    assert "triton.cdiv" in text and "```\n" not in text  # the mismatch hint; no traceback to quote


def test_feedback_on_an_accepted_kernel_asks_for_speed_with_the_timings():
    timed = _judged(status="accepted", reason_code="ok", reason="ok.", speedup_vs_eager=1.23,
                    speedup_vs_compile=0.8, runtime_ms=0.0456, max_abs_err=1e-6, max_rel_err=1e-7,
                    hardware="NVIDIA H200")
    text = feedback(timed, target_speedup=2.0)
    assert "Timing on NVIDIA H200: 0.0456 ms per call; 1.23x the speed of PyTorch eager (faster), 0.8x the " \
           "speed of torch.compile (slower)." in text
    assert "at least 2x PyTorch eager" in text and "what you changed to make it faster" in text
    cpu = feedback(_judged(status="accepted", reason_code="ok", reason="ok."), target_speedup=2.0)
    assert "Speed was not measured on this device (cpu (interpreter))" in cpu and "Timing on" not in cpu
    # Not asked for a speed nobody measured: another correct version, with no claim about its speed.
    assert "make it faster" not in cpu.lower() and "another correct version" in cpu
    assert "Make no claim about its speed" in cpu and "what you changed, then" in cpu
    old = feedback(_judged(status="accepted", reason_code="ok", reason="ok."), target_speedup=2.0, version="feedback-v1")
    assert "Now make it faster" in old  # rows made with v1 still render as they were


def test_every_reason_code_has_its_own_hint():
    sections = load_feedback_template()
    missing = [r.value for r in Reason if r is not Reason.OK and f"hint: {r.value}" not in sections]
    assert not missing


def test_trim_traceback_caps_characters_too():
    text = "\n".join("x" * 400 for _ in range(20))
    trimmed = trim_traceback(text, max_lines=12, max_chars=1500)
    assert trimmed.splitlines()[0] == "... (17 earlier lines left out)" and len(trimmed.splitlines()) == 4
    assert trim_traceback("one line") == "one line"
    assert trim_traceback("y" * 5000, max_chars=100) == "y" * 100


def test_refined_rows_are_candidate_rows():
    result = _loop(FakeVerifier(), stop_on_accept=False, max_turns=1).run([MATMUL])
    children = [r for r in result.rows if r["turn"] == 1]
    assert children and table_from_rows([{k: r[k] for k in CANDIDATE_SCHEMA.names} for r in children],
                                         CANDIDATE_SCHEMA).num_rows == len(children)
