"""Faults in the pipeline's Ray workers (kerneldata.workers), on a local Ray instance: a verifier worker killed
mid-candidate, one that dies, hangs or raises on a candidate every time, a teacher worker that dies, the
circuit breaker, and cancelling. The workers' stages are stand-ins whose behaviour each candidate's code
names, so the tests run in seconds; the pool, the retries and the replacements are the real ones."""

from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest

from generators.teachers.builtin import BuiltinTeacher
from kerneldata.core.config import TeacherConfig, VerifyConfig
from kerneldata.workers import Cancelled, Faults, RemoteTeacher, VerifierPool, WorkersFailed
from tests.pipeline.scripted_workers import (
    MARKERS, AlwaysDies, DiesOnce, ScriptedStage, WithoutGPU, candidate, spec,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray_local(tmp_path_factory):
    import ray

    markers = tmp_path_factory.mktemp("markers")
    # One GPU in Ray's accounting only, for the teacher worker (WithoutGPU) whose torch finds none.
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, logging_level="ERROR",
             runtime_env={"env_vars": {MARKERS: str(markers)}})
    yield ray, markers
    ray.shutdown()


def pool_for(ray, workers: int = 2, calls: int = 1, **verify) -> tuple[VerifierPool, Faults, threading.Event]:
    faults, cancelled = Faults(), threading.Event()
    config = VerifyConfig(device="cpu", **verify)
    return VerifierPool(ray, config, workers=workers, gpu_share=0, calls=calls, faults=faults, cancelled=cancelled,
                        stage=ScriptedStage), faults, cancelled


def test_a_worker_killed_mid_candidate_is_replaced_and_the_candidate_judged_again(ray_local):
    ray, markers = ray_local
    pool, faults, _ = pool_for(ray)
    rows = [candidate("slow victim"), candidate("ok", 1), candidate("ok", 2)]
    arrived: list[dict] = []
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(rows=pool.verify(rows, on_judged=arrived.extend)))
    thread.start()
    pid_file = markers / "victim.pid"
    deadline = time.monotonic() + 120
    while not pid_file.exists():
        assert time.monotonic() < deadline, "the slow candidate never started"
        time.sleep(0.05)
    os.kill(int(pid_file.read_text()), signal.SIGKILL)  # the verifier worker, mid-candidate
    thread.join(timeout=120)
    assert not thread.is_alive()
    assert sorted(row["candidate_id"] for row in result["rows"]) == sorted(row["candidate_id"] for row in rows)
    assert {row["status"] for row in result["rows"]} == {"accepted"} and len(arrived) == 3
    assert faults.counts() == {"verifier_worker_died": 1}


@pytest.mark.parametrize(("action", "fault", "words"), [
    ("die", "died", "the last one died"),
    ("hang", "hung", "the last one stopped answering"),
    ("raise", "error", "the last one raised an error"),
])
def test_a_candidate_that_fails_its_worker_every_time_is_unverified_and_the_others_are_judged(ray_local, action,
                                                                                                fault, words):
    ray, _ = ray_local
    pool, faults, _ = pool_for(ray, max_attempts=2, call_timeout_s=4)
    rows = [candidate(action), candidate("ok", 1), candidate("ok", 2)]
    judged = {row["candidate_id"]: row for row in pool.verify(rows, on_judged=lambda rows: None)}
    bad = judged[rows[0]["candidate_id"]]
    assert (bad["status"], bad["stage"], bad["reason_code"]) == ("unverified", "sandbox", "verifier_fault")
    assert f"lost on each of 2 tries ({words})" in bad["reason"]
    assert bad["code"] == action and bad["spec_id"] == rows[0]["spec_id"]  # the candidate itself is kept
    assert [judged[row["candidate_id"]]["status"] for row in rows[1:]] == ["accepted", "accepted"]
    assert faults.counts() == {f"verifier_worker_{fault}": 2, "verifier_gave_up": 1}


def test_a_hung_call_costs_the_candidates_beside_it_on_the_same_worker_nothing(ray_local):
    ray, _ = ray_local
    # One worker taking two candidates at once, one try each: the hung candidate is given up at its first
    # kill (about 4 s in), which also kills the slow candidate started beside it at 3 s. That one, charged,
    # would be given up too; it must be tried again free.
    pool, faults, _ = pool_for(ray, workers=1, calls=2, max_attempts=1, call_timeout_s=4)
    rows = [candidate("hang"), *(candidate(f"slow beside-{i}", i) for i in range(1, 4))]
    judged = {row["candidate_id"]: row for row in pool.verify(rows, on_judged=lambda rows: None)}
    assert judged[rows[0]["candidate_id"]]["reason_code"] == "verifier_fault"
    assert [judged[row["candidate_id"]]["status"] for row in rows[1:]] == ["accepted"] * 3
    assert faults.counts() == {"verifier_worker_hung": 1, "verifier_gave_up": 1}


def test_workers_failing_on_every_candidate_stop_the_run(ray_local):
    ray, _ = ray_local
    pool, faults, _ = pool_for(ray, max_attempts=1)
    with pytest.raises(WorkersFailed, match=r"the verifier's workers failed on 5 calls in a row, each after its "
                                             r"retries \(last: candidate [0-9a-f]+: .*\); fix the cause and resume"):
        pool.verify([candidate("die", i) for i in range(8)], on_judged=lambda rows: None)
    assert faults.counts()["verifier_gave_up"] == 5


def test_cancelling_stops_a_verification_within_seconds(ray_local):
    ray, _ = ray_local
    pool, faults, cancelled = pool_for(ray)
    threading.Timer(1.0, cancelled.set).start()
    started = time.monotonic()
    with pytest.raises(Cancelled):
        pool.verify([candidate("hang"), candidate("hang", 1)], on_judged=lambda rows: None)
    assert time.monotonic() - started < 10 and faults.counts() == {}


def teacher_for(ray, worker_class, **settings) -> tuple[RemoteTeacher, Faults, list]:
    faults, stats = Faults(), []
    config = TeacherConfig(**{"samples_per_spec": 2, **settings})
    teacher = RemoteTeacher(ray, config, 0, faults=faults, cancelled=threading.Event(),
                            on_stats=lambda counters, rows: stats.append(len(rows)), worker_class=worker_class)
    return teacher, faults, stats


def test_a_teacher_worker_that_dies_is_replaced_and_the_call_answered(ray_local):
    ray, _ = ray_local
    teacher, faults, stats = teacher_for(ray, DiesOnce)
    rows = teacher.generate_batch([spec()])
    assert rows == BuiltinTeacher(TeacherConfig(samples_per_spec=2), 0).generate_batch([spec()])
    assert faults.counts() == {"teacher_worker_died": 1} and stats == [2]


def test_a_teacher_call_failing_every_time_gives_rows_without_code(ray_local):
    ray, _ = ray_local
    teacher, faults, stats = teacher_for(ray, AlwaysDies, max_attempts=2)
    rows = teacher.generate_batch([spec()])
    assert [row["sample_index"] for row in rows] == [0, 1] and stats == []
    assert all(row["code"] is None and json.loads(row["teacher_meta"])["error"] == "teacher_lost" for row in rows)
    assert faults.counts() == {"teacher_worker_died": 2, "teacher_gave_up": 1}


def test_a_teacher_worker_without_the_gpu_its_teacher_needs_stops_the_run_saying_so(ray_local):
    ray, _ = ray_local
    # The driver made its teacher (for rows of calls given up) without a GPU: only the worker finds none.
    with pytest.raises(WorkersFailed) as err:
        teacher_for(ray, WithoutGPU, kind=["builtin", "inductor"], samples_per_spec=1, max_attempts=1)
    message = str(err.value)
    assert message.startswith("cannot start a teacher worker (1 tries; last: ") and "\n" not in message
    assert "the inductor teacher needs a CUDA or ROCm GPU: torch " in message and "sees none" in message


def test_a_verifier_worker_logs_where_its_time_went_every_few_candidates(caplog, tmp_path, monkeypatch):
    """The per-candidate cost at real scale is what a GPU run must explain: every PHASES_LOG_EVERY candidates
    the worker's log says which phases took the time."""
    import types

    import pyarrow as pa

    from kerneldata import workers

    class Stage:
        def __init__(self, config, draw_key=None):
            self.runtime = types.SimpleNamespace(phase_seconds={"run": 3.0, "wait for GPU": 12.5})

        def __call__(self, table):
            row = dict(table.to_pylist()[0], status="accepted", reason_code="ok")
            return pa.Table.from_pylist([row])

    worker = workers.VerifyWorker(VerifyConfig(), log_dir=str(tmp_path), stage=Stage)
    monkeypatch.setattr(workers, "table_from_rows", lambda rows, schema: pa.Table.from_pylist(list(rows)))
    row = {"candidate_id": "c"}
    with caplog.at_level("INFO", logger="kerneldata.workers"):
        for _ in range(workers.PHASES_LOG_EVERY):
            worker.judge([row])
    logged = [r.getMessage() for r in caplog.records if "time by phase" in r.getMessage()]
    assert logged == [f"after {workers.PHASES_LOG_EVERY} candidates, the verifier's time by phase (summed over "
                      "threads): wait for GPU 12.5 s, run 3.0 s"]
