"""`kerneldata generate` with the openai teacher against a local chat server (tests/generators/chat_server.py),
end to end on local Ray: an endpoint that refuses connections and then answers 500 for a while loses no row
and the manifest counts each failure by kind; the teacher cache means a repeated run (a shared cache) and a
resumed run (the cache in the run directory) ask the endpoint nothing again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generators.prompts import Prompter
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.teachers.builtin import BuiltinTeacher
from kerneldata.core.config import TeacherConfig, load_config
from tests.generators.chat_server import ChatServer, Reply, completion

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = 2
BASE = ["specs.num_specs=3", f"teacher.samples_per_spec={SAMPLES}", "verify.num_seeds=1", "teacher.kind=openai",
        "teacher.openai.model=builtin-over-http", "teacher.openai.api_key_env=null"]
pytestmark = pytest.mark.slow


def builtin_answers(overrides: list[str]) -> dict[str, list[str]]:
    """First user message -> the built-in teacher's completions for that spec (a refinement request, whose
    last message is feedback, is answered by the same spec's kernels)."""
    config = load_config(ROOT / "configs/quickstart.yaml", overrides)
    specs, _ = sample_checked(SpecSampler(config.specs, config.run.seed), config.specs.num_specs, seed=config.run.seed)
    builtin = BuiltinTeacher(TeacherConfig(samples_per_spec=SAMPLES + 1), seed=config.run.seed)
    prompt = Prompter(config.teacher.prompt)  # what the run's teacher asks
    return {prompt(spec.to_row())[1]["content"]: [row["completion"] for row in builtin.generate(spec.to_row())]
            for spec in specs}


def answering(answers: dict[str, list[str]]):
    def answer(body: dict):
        kernels = answers.get(body["messages"][1]["content"])
        if kernels is None:
            return Reply({"error": {"message": "unknown prompt"}}, status=400)
        turn = (len(body["messages"]) - 2) // 2  # refinements answer with the spec's next kernel
        return completion(kernels[turn: turn + body.get("n", 1)] or kernels[:1] * body.get("n", 1))
    return answer


def generate(out: Path, overrides: list[str], *, resume: bool = False) -> subprocess.Popen:
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    return subprocess.Popen([sys.executable, "-m", "kerneldata", "generate", "--config", "configs/quickstart.yaml",
                             "--out", str(out), "--no-progress", *(["--resume"] if resume else []), *overrides],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen) -> None:
    _, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 0, stderr[-3000:]


def raw(out: Path) -> list[dict]:
    columns = ["candidate_id", "code", "completion", "teacher_meta", "turn", "status"]
    return sorted(pq.read_table(out / "raw", columns=columns).to_pylist(), key=lambda row: row["candidate_id"])


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


def wait_for(proc: subprocess.Popen, ready) -> None:
    """Until `ready()`, while the run is still going."""
    deadline = time.monotonic() + 600
    while not ready():
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)


def teacher_log(out: Path) -> str:
    return "".join(path.read_text() for path in (out / "logs").glob("teacher-*.log")) if (out / "logs").is_dir() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_endpoint_down_for_a_while_loses_no_row_and_every_failure_is_counted(tmp_path):
    # The check before the run would wait for the endpoint itself: off, this is an endpoint going down mid-run.
    overrides = [*BASE, "refine.max_turns=0", "teacher.openai.max_retries=12", "teacher.openai.backoff_base_s=0.5",
                 "teacher.openai.backoff_cap_s=2", "teacher.openai.check_endpoint=false"]
    port = free_port()
    out = tmp_path / "run"
    proc = generate(out, [*overrides, f"teacher.openai.base_url=http://127.0.0.1:{port}/v1"])
    wait_for(proc, lambda: "teacher request failed (connection)" in teacher_log(out))
    time.sleep(2)  # refused for a while longer
    with ChatServer(answer=answering(builtin_answers(overrides)), port=port) as server:
        server.script(*[Reply({"error": {"message": "overloaded"}}, status=500)] * 4)  # then errors for a while
        finish(proc)
    rows = raw(out)
    assert len(rows) == 3 * SAMPLES and all(row["code"] for row in rows), "every answer arrived"
    faults = manifest(out)["faults"]
    assert faults["teacher_request_connection"] >= 3 and faults["teacher_request_server_error"] == 4
    assert "teacher_request_gave_up" not in faults and "teacher_gave_up" not in faults
    assert len(server.requests) == 3 + 4


def test_a_run_whose_every_teacher_call_failed_is_not_complete_and_resume_asks_again(tmp_path):
    """Issue 18: it used to end "complete" with rows of teacher_error only, which a resume could not redo."""
    overrides = [*BASE, "refine.max_turns=0", "teacher.openai.max_retries=0", "teacher.openai.check_endpoint=false"]
    port = free_port()
    out = tmp_path / "run"
    overrides.append(f"teacher.openai.base_url=http://127.0.0.1:{port}/v1")
    proc = generate(out, overrides)
    _, stderr = proc.communicate(timeout=900)
    assert proc.returncode == 3, stderr[-3000:]
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: every teacher call of this session failed (") and "connection" in last
    assert f"resume with: kerneldata generate --config configs/quickstart.yaml --out {out} --resume" in last
    assert not (out / "manifest.json").exists() and checkpointed(out) == []

    with ChatServer(answer=answering(builtin_answers(overrides)), port=port) as server:
        finish(generate(out, overrides, resume=True))
    rows = raw(out)
    assert len(rows) == 3 * SAMPLES and all(row["code"] for row in rows) and len(server.requests) == 3


def test_a_repeated_run_on_a_shared_cache_asks_the_endpoint_nothing_again(tmp_path):
    overrides = [*BASE, "refine.max_turns=0", f"teacher.cache={tmp_path / 'shared-cache'}"]
    with ChatServer(answer=answering(builtin_answers(overrides))) as server:
        overrides.append(f"teacher.openai.base_url={server.base_url}")
        finish(generate(tmp_path / "first", overrides))
        assert len(server.requests) == 3
        finish(generate(tmp_path / "again", overrides))
        assert len(server.requests) == 3, "a repeated run asked the endpoint again"
    assert raw(tmp_path / "again") == raw(tmp_path / "first")  # the same answers, byte for byte
    first, again = (manifest(tmp_path / name)["teacher_cache"] for name in ("first", "again"))
    assert first == {"dir": str(tmp_path / "shared-cache"), "hits": 0, "misses": 3 * SAMPLES}
    assert again == {**first, "hits": 3 * SAMPLES, "misses": 0}


def test_a_run_killed_mid_refinement_and_resumed_asks_no_request_twice(tmp_path):
    """The default cache, in the run directory. Refinement requests quote the verifier's feedback, so they
    are the same requests again only because their parents' verdicts were checkpointed before they went out."""
    overrides = [*BASE, "refine.max_turns=2", "refine.max_candidates_per_spec=5", "refine.specs_per_batch=1"]
    out = tmp_path / "run"
    with ChatServer(answer=answering(builtin_answers(overrides))) as server:
        overrides.append(f"teacher.openai.base_url={server.base_url}")
        proc = generate(out, overrides)
        wait_for(proc, lambda: any(row["turn"] > 0 for row in checkpointed(out)))
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        killed_with = {row["candidate_id"] for row in checkpointed(out)}
        asked_before = len(server.requests)
        assert (out / "cache" / "teacher").is_dir() and asked_before > 3
        finish(generate(out, overrides, resume=True))
        bodies = [json.dumps(body, sort_keys=True) for body in server.requests]
    assert len(bodies) == len(set(bodies)), "a request was sent twice"
    assert len(bodies) > asked_before  # the rest of the refinement was asked after the resume
    rows = raw(out)
    assert len({row["candidate_id"] for row in rows}) == len(rows) and killed_with <= {r["candidate_id"] for r in rows}
    resumed = manifest(out)
    assert resumed["sessions"] == 2 and resumed["teacher_cache"]["hits"] > 0
    # A killed session's counts are those of its last checkpoint: answers that came after it are not counted.
    assert 0 < resumed["teacher_cache"]["misses"] <= sum(body.get("n", 1) for body in server.requests)


def checkpointed(out: Path) -> list[dict]:
    """The rows of committed parts (their `.done` marker exists)."""
    return [row for path in sorted((out / "_parts").glob("part-*.parquet")) if path.with_suffix(".done").exists()
            for row in pq.read_table(path, columns=["candidate_id", "turn"]).to_pylist()]
