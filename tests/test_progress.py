"""The run's progress counts: rates, the busy fraction, the line and the summary table (kerneldata.progress)."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from kerneldata.progress import RunProgress


def row(spec: str, turn: int, status: str = "accepted", reason: str = "ok", seconds: float = 2.0) -> dict:
    return {"spec_id": spec, "turn": turn, "status": status, "reason_code": reason, "verify_seconds": seconds}


def progress(**kwargs) -> RunProgress:
    faults = {"verifier_worker_died": 1}
    return RunProgress(num_specs=3, workers=2, gpu=kwargs.pop("gpu", False), display=False,
                       faults=lambda: faults, **kwargs)


def test_counts_rates_and_the_line():
    run = progress()
    run.teacher_answered({"cache_hits": 1, "cache_misses": 3, "completion_tokens": 400,
                          "fault:teacher_request_connection": 2}, [row("a", 0), row("a", 0), row("b", 0)])
    run.teacher_answered({}, [row("a", 1)])
    run.sent_to_verify(4)
    run.verified([row("a", 0), row("a", 0, "rejected", "mismatch"), row("b", 0, "unverified", "verifier_fault", 0)])
    run.spec_finished("c")
    run.spec_finished("c")  # reported twice, counted once
    run._started -= 10.0  # as if ten seconds had passed
    run._first_verdict = (run._first_verdict[0] - 10.0, run._first_verdict[1])
    numbers = run.snapshot()
    assert numbers["candidates_judged"] == 3 and 0.25 < numbers["candidates_per_s"] <= 0.3
    assert 36 < numbers["teacher_tokens_per_s"] <= 40  # 400 tokens the model wrote, not the cached ones
    assert 0.18 < numbers["verifier_busy"] <= 0.2  # 4 s of verifying over 10 s x 2 workers
    assert run.first_answered == 2 and run.answers == {"first": 3, "refined": 1}
    line = run.line()
    assert "specs 1/3 (0:00:20 left); first answers 2/3, 1 refinements; judged 3/4" in line  # 1/3 in 10 s
    assert "1 accepted, 1 rejected, 1 unverified" in line and "reasons: " in line and "mismatch 1" in line
    assert "verifier busy 20%" in line and line.endswith("faults: verifier_worker_died 1")


def test_the_summary_table_names_every_stage_and_fault():
    run = progress(gpu=True)
    run.teacher_answered({"cache_hits": 2}, [row("a", 0)])
    run.verified([row("a", 0)])
    out = io.StringIO()
    Console(file=out, width=200).print(run.summary_table())
    text = out.getvalue()
    for word in ("specs", "teacher", "verify", "accepted", "ok", "GPU busy", "cache: 2 hits, 0 asked",
                 "fault verifier_worker_died"):
        assert word in text


def test_a_progress_line_is_logged_every_interval(caplog):
    run = progress(log_every_s=0.0)
    with caplog.at_level(logging.INFO, logger="kerneldata.progress"):
        run.tick()
    assert caplog.records and caplog.records[0].getMessage().startswith("progress: specs 0/3")


def test_teacher_errors_show_as_they_come_back_on_the_display():
    failed = [{**row("a", 0), "teacher_meta": '{"error": "connection", "attempts": 11}'} for _ in range(3)]
    run = RunProgress(num_specs=3, workers=1, gpu=False, display=True)
    run._started -= 1.0
    out = io.StringIO()
    with run:
        run._live.console.file = out  # the live display, captured
        run.teacher_answered({}, [*failed, {**row("b", 0), "teacher_meta": "{}"}])
        run.teacher_answered({}, [{**row("c", 0), "teacher_meta": '{"error": "timeout"}'}])
    assert run.teacher_errors == {"connection": 3, "timeout": 1}
    assert "4 teacher errors (connection 3, timeout 1)" in run.line()
    assert "4 teacher errors (connection 3, timeout 1)" in " ".join(out.getvalue().split())  # wrapped at 80


def test_a_teacher_without_a_model_shows_no_tokens_or_cache():
    run = RunProgress(num_specs=3, workers=1, gpu=False, display=False, model_teacher=False)
    run.teacher_answered({}, [row("a", 0)])
    out = io.StringIO()
    Console(file=out, width=200).print(run.summary_table())
    assert "tok/s" not in run.line() and "tok/s" not in out.getvalue() and "cached" not in run.line()
    assert "tok/s" in progress().line()  # a model teacher's


def test_a_resumed_run_counts_what_earlier_sessions_judged():
    run = progress()
    run.checkpointed = 40
    run.sent_to_verify(2)
    run.verified([row("a", 0), row("b", 0)])
    assert "judged 2/2 (+40 checkpointed before)" in run.line()
    assert run.snapshot()["candidates_judged"] == 2  # the rates are this session's


def test_the_verify_bars_total_does_not_move():
    def verify_bar(**kwargs):
        run = RunProgress(num_specs=3, workers=1, gpu=False, display=True, **kwargs)
        with run:
            run._live.console.file = io.StringIO()
            run.sent_to_verify(2)
            run.verified([row("a", 0)])
            task = run._bars.tasks[2]
            return task.total, task.completed

    assert verify_bar(candidates=12) == (12, 1)  # one pass: known before the run, so the ETA holds
    assert verify_bar() == (None, 1)  # refinement: a count, and no ETA from a total that would grow


def test_specs_finish_one_by_one_and_the_eta_comes_from_a_total_that_does_not_move():
    run = RunProgress(num_specs=4, workers=1, gpu=False, display=True, candidates_per_spec=3)
    with run:
        run._live.console.file = io.StringIO()
        specs_bar = run._bars.tasks[0]
        assert run.eta_s() is None and specs_bar.total == 4 and specs_bar.completed == 0
        run.spec_finished("z")  # a resume's replayed spec, before any verdict: no rate yet
        run.verified([row("a", 0)])  # the first verdict: the rate is measured from here
        assert run.eta_s() is None
        since, worked = run._first_verdict
        run._first_verdict = (since - 10.0, worked)  # ten seconds later, a's second candidate: 1/3 spec in 10 s
        run.verified([row("a", 0)])
        assert run.specs_done == 1 and 69.9 < run.eta_s() <= 70.1  # 2 1/3 specs left at 1/30 spec a second
        run._refresh()
        assert specs_bar.completed == 1 + 2 / 3 and specs_bar.fields["finished"] == 1  # fills with work
        shown = io.StringIO()
        Console(file=shown, width=200).print(run._bars)
        specs_line = shown.getvalue().splitlines()[0]
        assert " 1/4 " in specs_line and "0:00:" in specs_line and "0:01:10" in specs_line  # count, elapsed, ETA
        # Its last possible candidate finishes a spec at once; a spec the loop stops early (b) counts whole.
        run.verified([row("a", 1)])
        assert run.specs_done == 2 and specs_bar.completed == 2 and specs_bar.fields["finished"] == 2
        run.spec_finished("b")
        run.verified([row("b", 1)])  # a late verdict of a finished spec counts nothing more
        assert run.specs_done == 3 and specs_bar.total == 4 and 5.9 < run.eta_s() <= 6.1  # 1 left, 5/3 in 10 s
        assert "specs 3/4 (0:00:06 left)" in run.line()
        assert specs_bar.fields["eta_s"] is not None
        run.spec_finished("c")
        assert run.eta_s() == 0.0 and "left" not in run.line()


def test_without_a_per_spec_budget_only_finished_specs_count():
    run = progress()
    run.verified([row("a", 0)] * 50)
    assert run.specs_done == 0 and run.eta_s() is None
    since, worked = run._first_verdict
    run._first_verdict = (since - 6.0, worked)
    run.spec_finished("a")
    assert 11.9 < run.eta_s() <= 12.1  # one of three specs in 6 s
