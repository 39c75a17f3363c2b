"""What `generate` checks before a run starts (issue 18), on the driver, without Ray: a config error leaves no
run directory; a complete run directory is not run again; a resume whose config changes rows is refused,
naming the keys, unless forced; run_config.yaml records the directory used; an endpoint teacher's endpoint
that cannot answer stops the run with one line naming the URL and the error, after the configured retries;
a session in which every teacher call failed checkpoints none of those failures."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter

import pytest
import yaml

from kerneldata import pipeline
from kerneldata.core.config import load_config
from tests.generators.chat_server import ChatServer, completion


class RayStarts(Exception):
    """Raised where Ray would start: every check before it has passed."""


@pytest.fixture
def no_ray(monkeypatch):
    def init_ray(config):
        raise RayStarts

    monkeypatch.setattr(pipeline, "_init_ray", init_ray)


def quick(*overrides: str):
    return load_config("configs/quickstart.yaml", ["specs.num_specs=2", "specs.check_references=false", *overrides])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def openai(base_url: str, *overrides: str):
    return quick("teacher.kind=openai", "teacher.openai.model=m", "teacher.openai.api_key_env=null",
                 "refine.max_turns=0", f"teacher.openai.base_url={base_url}", *overrides)


def test_a_config_error_leaves_no_run_directory(no_ray, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(pipeline.PipelineError, match="decontamination.benchmarks"):
        pipeline.run(quick(f"decontamination.benchmarks=[{tmp_path / 'missing'}]"), out_dir=out, progress=False)
    assert not out.exists()


def test_run_config_records_the_directory_used_and_a_resume_that_changes_rows_is_refused(no_ray, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RayStarts):
        pipeline.run(quick(), out_dir=out, progress=False)
    recorded = yaml.safe_load((out / "run_config.yaml").read_text())
    assert recorded["run"]["out"] == str(out) and recorded["specs"]["num_specs"] == 2

    with pytest.raises(pipeline.ConfigChanged) as err:
        pipeline.run(quick("specs.num_specs=1", "verify.num_seeds=1"), out_dir=out, resume=True, progress=False)
    message = str(err.value)
    assert "specs.num_specs (2 -> 1)" in message and "verify.num_seeds (3 -> 1)" in message
    assert "--force" in message and "\n" not in message

    # Keys that change how the run is carried out, not its rows, may change on resume.
    with pytest.raises(RayStarts):
        pipeline.run(quick("verify.workers=3", "refine.batches_in_flight=1"), out_dir=out, resume=True, progress=False)
    with pytest.raises(RayStarts):  # forced: goes on, and later resumes compare with the config it went on with
        pipeline.run(quick("specs.num_specs=1"), out_dir=out, resume=True, force=True, progress=False)
    assert yaml.safe_load((out / "run_config.yaml").read_text())["specs"]["num_specs"] == 1
    with pytest.raises(pipeline.ConfigChanged, match=r"specs.num_specs \(1 -> 2\)"):
        pipeline.run(quick(), out_dir=out, resume=True, progress=False)


def test_rows_changed_by_ignores_only_how_the_run_is_carried_out():
    before = quick()
    assert pipeline.rows_changed_by(before, quick("ray.num_cpus=2", "shards.rows_per_shard=5", "run.out=x")) == []
    assert pipeline.rows_changed_by(before, quick("run.seed=1", "teacher.samples_per_spec=9")) == [
        "run.seed", "teacher.samples_per_spec"]


@pytest.mark.parametrize("resume", [False, True])
def test_a_complete_run_directory_is_not_run_again(no_ray, tmp_path, resume):
    out = tmp_path / "run"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"counts": {}}))
    with pytest.raises(pipeline.AlreadyComplete, match=r"already a complete run .*choose another --out or remove"):
        pipeline.run(quick(), out_dir=out, resume=resume, progress=False)


def test_an_endpoint_with_nothing_listening_stops_the_run_before_it_starts(no_ray, tmp_path, capsys):
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = tmp_path / "run"
    config = openai(url, "teacher.openai.max_retries=2", "teacher.openai.backoff_base_s=0.01")
    with pytest.raises(pipeline.TeacherUnreachable) as err:
        pipeline.run(config, out_dir=out, progress=True)
    assert str(err.value) == f"teacher endpoint {url} is unreachable: cannot connect ([Errno 111] Connection " \
                             f"refused) (3 attempts)"
    assert not out.exists()
    retries = capsys.readouterr().err.splitlines()  # the retries honour max_retries and say so as they happen
    assert [line.split("; ")[1].split(",")[0] for line in retries] == ["attempt 1 of 3", "attempt 2 of 3"]


def test_an_endpoint_that_answers_passes_the_check(no_ray, tmp_path):
    with ChatServer(answer=lambda body: completion(["```python\npass\n```"])) as server:
        with pytest.raises(RayStarts):
            pipeline.run(openai(server.base_url), out_dir=tmp_path / "run", progress=False)
        assert server.requests == []  # a model listing (this server has none: a 404 is an answer), no completion


def test_the_check_can_be_turned_off(no_ray, tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(RayStarts):
        pipeline.run(openai(url, "teacher.openai.check_endpoint=false"), out_dir=tmp_path / "run", progress=False)


def _session(teacher_ok: bool = False):
    """A _Session with only what `_judged` and `_teacher_answered` use (its checkpoints in a list)."""
    session = object.__new__(pipeline._Session)
    session.teacher_ok = teacher_ok
    session._teacher_failures = []
    session._counts_lock = threading.Lock()
    session.teacher_counts = Counter()
    session._kill_after = 0
    checkpointed: list[dict] = []

    class Parts:
        def add(self, rows):
            checkpointed.extend(rows)

    class Progress:
        def verified(self, rows):
            pass

        def teacher_answered(self, stats, rows):
            pass

    session.parts, session.progress = Parts(), Progress()
    return session, checkpointed


def row(candidate: str, error: str | None) -> dict:
    meta = {"error": error} if error else {}
    return {"candidate_id": candidate, "reason_code": "teacher_error" if error else "wrong_values",
            "teacher_meta": json.dumps(meta)}


def test_failed_teacher_calls_are_checkpointed_only_once_a_teacher_call_succeeded():
    session, checkpointed = _session()
    session._teacher_answered({}, [row("a", "connection"), row("b", "connection")])
    session._judged([row("a", "connection"), row("b", "connection")])
    assert checkpointed == [] and not session.teacher_ok  # all failed so far: a resume asks again
    session._teacher_answered({}, [row("c", None)])
    session._judged([row("c", None)])
    assert [r["candidate_id"] for r in checkpointed] == ["a", "b", "c"]  # now they are data
    assert pipeline._teacher_errors([row("a", "connection"), row("b", "timeout"), row("d", "connection")]) == \
        "connection 2, timeout 1"


def test_start_up_phases_are_logged_before_ray_starts(no_ray, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(RayStarts):
        pipeline.run(quick(), out_dir=out, progress=True)
    log = (out / "logs" / "run.log").read_text()
    assert "start-up: sampling 2 specs" in log and "start-up: starting a local Ray instance" in log


def test_rays_notice_that_token_auth_is_on_is_dropped_and_its_other_warnings_pass():
    import logging

    pipeline._quiet_token_auth()
    pipeline._quiet_token_auth()  # installed once
    logger = logging.getLogger(pipeline.RAY_AUTH_LOGGER)
    assert sum(isinstance(f, pipeline._TokenAuthNotice) for f in logger.filters) == 1

    def shown(message: str) -> bool:
        return logger.filter(logging.LogRecord(logger.name, logging.WARNING, "x.py", 1, message, None, None))

    assert not shown("Token authentication is enabled for this Ray cluster. Set RAY_AUTH_MODE=disabled to opt out.")
    assert shown("Token authentication is disabled for this Ray cluster. Anyone with network access ...")


def test_a_local_ray_start_prints_nothing_on_stderr(tmp_path):
    """The real thing: Ray 2.5x logs a token-auth warning at every `ray.init()` that starts an instance unless
    RAY_AUTH_MODE is set (issue 18: all a user saw for the first tens of seconds)."""
    import os
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key not in ("RAY_AUTH_MODE", "RAY_ADDRESS")}
    code = ("from kerneldata import pipeline; from kerneldata.core.config import load_config; "
            "ray = pipeline._init_ray(load_config('configs/quickstart.yaml', ['ray.num_cpus=1'])); ray.shutdown()")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False,
                            env={**env, "HOME": str(tmp_path), "RAY_USAGE_STATS_ENABLED": "0"},
                            cwd=pipeline.Path(__file__).resolve().parents[2])
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Token authentication" not in result.stderr and "WARNING" not in result.stderr, result.stderr


def test_a_spec_can_have_at_most_its_first_answers_and_its_refinement_budget():
    assert pipeline.most_candidates_per_spec(quick()) == 10  # 4 + 2 rounds x 4 parents, capped at 10
    assert pipeline.most_candidates_per_spec(quick("refine.max_candidates_per_spec=null")) == 12
    assert pipeline.most_candidates_per_spec(quick("refine.max_turns=0")) == 4
    gpu = load_config("configs/gpu.yaml")
    assert pipeline.most_candidates_per_spec(gpu) == 13  # 4 builtin + 1 inductor, then 2 x 4, as gpu.yaml says
