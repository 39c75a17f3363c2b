"""The whole pipeline, as users run it: the quickstart (with refinement) to a loadable dataset, a run killed
mid-refinement and resumed, and the same script submitted as a Ray job to a local cluster (refinement off)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kerneldata.core.config import load_config
from tests.pipeline.replay import assert_raw_is_the_loop_replayed_on_its_own_verdicts, expected_candidate_ids

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _generate(out: Path, *overrides: str, resume: bool = False, env=None, **popen) -> subprocess.Popen:
    args = [sys.executable, "generate.py", "--config", "configs/quickstart.yaml", "--out", str(out), "--quiet",
            *(["--resume"] if resume else []), *overrides]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)


def test_quickstart_makes_a_loadable_dataset(tmp_path):
    out = tmp_path / "quickstart"
    started = time.monotonic()
    proc = _generate(out)
    # Generous: a 2-core CI machine verifies the quickstart's 120 candidates in about 5 to 8 minutes; on this
    # machine beside other test runs it took 15 (2026-12-07), and a timeout here says nothing about the run.
    stdout, stderr = proc.communicate(timeout=1500)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, stderr[-3000:]
    assert "accepted" in stdout
    assert "Token authentication" not in stderr  # Ray's notice on every run (issue 18), not shown

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] >= 20
    assert sum(1 for fam in manifest["by_family"].values() if fam["accepted"] > 0) >= 3
    candidates = manifest["counts"]["candidates"]
    assert manifest["counts"]["raw"] == candidates == sum(manifest["by_reason"].values())
    # 12 specs x 4 first answers, then two rounds of refinement (at most 10 candidates per spec).
    assert manifest["by_turn"]["0"]["candidates"] == 48 and 48 < candidates <= 12 * 10
    assert manifest["by_turn"]["1"]["accepted"] > 0
    assert sum(manifest["refinement"]["specs_stopped"].values()) == 12
    assert not (out / "_parts").exists()
    print(f"quickstart: {elapsed:.0f} s, counts {manifest['counts']}, by turn {manifest['by_turn']}")

    raw = pq.read_table(out / "raw").to_pylist()
    assert len({row["candidate_id"] for row in raw}) == len(raw)
    assert {row["candidate_id"] for row in raw if row["turn"] == 0} == expected_candidate_ids()
    assert_raw_is_the_loop_replayed_on_its_own_verdicts(raw)
    # The resolved config, with the run directory it was written to (issue 18).
    assert load_config(out / "run_config.yaml") == load_config(ROOT / "configs/quickstart.yaml", [f"run.out={out}"])

    import datasets

    from shards.row_stats import refers_to_feedback

    sft = datasets.load_dataset(str(out), "sft", split="train", cache_dir=str(tmp_path / "hf"))
    # generate deduplicates: accepted kernels that copy a better one stay in raw only
    kept = [r for r in raw if r["status"] == "accepted" and r["dedup_reason"] is None]
    assert len(sft) == manifest["counts"]["sft"] == len({row["candidate_id"] for row in sft})
    # A single-turn row is a first answer; an answer to feedback comes only with the feedback it answered.
    assert len([row for row in sft if row["turns"] == 1]) == len([r for r in kept if r["turn"] == 0]) > 0
    assert all(row["turn"] == 0 and not refers_to_feedback(row["completion"][0]["content"])
               for row in sft if row["turns"] == 1)
    assert manifest["row_stats"]["sft_feedback_references"] == 0
    assert manifest["counts"]["duplicates"] == sum(r["dedup_reason"] is not None for r in raw)
    first_answer = next(row for row in sft if row["turns"] == 1)
    assert [m["role"] for m in first_answer["messages"]] == ["system", "user", "assistant"]
    # Kernels reached by refinement come as their conversation: task, answer, feedback, answer...
    conversations = [row for row in sft if row["turns"] > 1]
    assert conversations
    for row in conversations:
        roles = [m["role"] for m in row["messages"]]
        assert roles == ["system", "user"] + ["assistant", "user"] * (row["turns"] - 1) + ["assistant"]
        assert row["messages"][3]["content"].startswith("The verifier ")
        # ...trained on the accepted answer alone (TRL's prompt-completion format, and the train_on flags).
        assert row["messages"] == row["prompt"] + row["completion"] and len(row["completion"]) == 1
        assert row["train_on"] == [False] * len(row["prompt"]) + [True]
    assert sft[0]["family"] and sft[0]["spec_id"] and sft[0]["candidate_id"]
    rl = datasets.load_dataset(str(out), "rl", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(rl) == manifest["counts"]["rl"] and "class Model(nn.Module)" in rl[0]["reference_code"]
    raw_ds = datasets.load_dataset(str(out), "raw", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(raw_ds) == candidates
    pref = datasets.load_dataset(str(out), "preference", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(pref) == manifest["counts"]["preference"] > 0


def _committed_parts(out: Path) -> list[Path]:
    """The checkpoints whose commit marker exists (a part without one may be cut short and is not read)."""
    parts = sorted((out / "_parts").glob("part-*.parquet")) if (out / "_parts").is_dir() else []
    return [part for part in parts if part.with_suffix(".done").exists()]


def _refined_parts(out: Path) -> int:
    """Checkpointed candidates from refinement rounds (turn > 0) so far."""
    return sum(sum(turn > 0 for turn in pq.read_table(p, columns=["turn"])["turn"].to_pylist())
               for p in _committed_parts(out))


def test_run_killed_mid_refinement_leaves_no_manifest_and_resume_completes_it(tmp_path):
    out = tmp_path / "killed"
    overrides = ("specs.num_specs=5", "verify.num_seeds=1")
    proc = _generate(out, *overrides, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and _refined_parts(out) < 2:
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, its local Ray instance, everything in its session
    proc.wait()
    assert not (out / "manifest.json").exists()
    done_before = {r for p in _committed_parts(out) for r in pq.read_table(p)["candidate_id"].to_pylist()}
    assert _refined_parts(out) >= 2

    refused = _generate(out, *overrides)
    assert refused.wait(timeout=120) == 2 and "--resume" in refused.stderr.read()

    resumed = _generate(out, *overrides, resume=True)
    _, stderr = resumed.communicate(timeout=1500)
    assert resumed.returncode == 0, stderr[-3000:]
    raw = pq.read_table(out / "raw").to_pylist()
    ids = [row["candidate_id"] for row in raw]
    assert len(ids) == len(set(ids)) and done_before <= set(ids)
    assert {row["candidate_id"] for row in raw if row["turn"] == 0} == expected_candidate_ids(*overrides)
    # Exactly the rows of an uninterrupted run: the loop replayed on these verdicts writes them all.
    assert_raw_is_the_loop_replayed_on_its_own_verdicts(raw, *overrides)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["candidates"] == len(raw) > 20

    again = _generate(out, *overrides, resume=True)  # a complete run: nothing to do, nothing rewritten
    assert again.wait(timeout=900) == 0
    assert json.loads((out / "manifest.json").read_text()) == manifest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.skipif(shutil.which("ray") is None, reason="the ray CLI is not installed")
def test_ray_job_submit_against_a_local_cluster(tmp_path):
    gcs_port, dashboard_port = _free_port(), _free_port()
    # Ray >= 2.5x turns token auth on for `ray start` but not for the job CLI unless asked: ask everywhere.
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": "token"}
    env.pop("RAY_ADDRESS", None)
    subprocess.run(["ray", "start", "--head", "--num-cpus", "2", f"--port={gcs_port}",
                    "--dashboard-host=127.0.0.1", f"--dashboard-port={dashboard_port}", "--disable-usage-stats"],
                   check=True, env=env, capture_output=True, timeout=180)
    try:
        out = tmp_path / "job"
        submit = subprocess.run(
            ["ray", "job", "submit", "--address", f"http://127.0.0.1:{dashboard_port}", "--working-dir", ".", "--",
             "python", "generate.py", "--config", "configs/quickstart.yaml", "--out", str(out), "--quiet",
             "specs.num_specs=3", "verify.num_seeds=1", "refine.max_turns=0"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
        assert submit.returncode == 0, (submit.stdout[-3000:], submit.stderr[-3000:])
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["ray"] == "cluster"
        assert manifest["counts"]["candidates"] == 12
    finally:
        subprocess.run(["ray", "stop", "--force"], env=env, capture_output=True, timeout=120)
