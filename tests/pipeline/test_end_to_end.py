"""The whole pipeline, as users run it: the quickstart to a loadable dataset, a run killed and resumed,
and the same script submitted as a Ray job to a local cluster."""

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
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.teachers import make_teacher

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _generate(out: Path, *overrides: str, resume: bool = False, env=None, **popen) -> subprocess.Popen:
    args = [sys.executable, "generate.py", "--config", "configs/quickstart.yaml", "--out", str(out), "--quiet",
            *(["--resume"] if resume else []), *overrides]
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)


def _expected_candidate_ids(*overrides: str) -> set[str]:
    config = load_config(ROOT / "configs/quickstart.yaml", list(overrides))
    teacher = make_teacher(config.teacher, config.run.seed)
    specs, _ = sample_checked(SpecSampler(config.specs, config.run.seed), config.specs.num_specs,
                              seed=config.run.seed)
    return {row["candidate_id"] for spec in specs for row in teacher.generate(spec.to_row())}


def test_quickstart_makes_a_loadable_dataset(tmp_path):
    out = tmp_path / "quickstart"
    started = time.monotonic()
    proc = _generate(out)
    stdout, stderr = proc.communicate(timeout=600)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, stderr[-3000:]
    assert "accepted" in stdout

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] >= 20
    assert sum(1 for fam in manifest["by_family"].values() if fam["accepted"] > 0) >= 3
    assert manifest["counts"]["raw"] == manifest["counts"]["candidates"] == 48
    assert sum(manifest["by_reason"].values()) == 48
    assert not (out / "_parts").exists()
    print(f"quickstart: {elapsed:.0f} s, counts {manifest['counts']}")

    raw = pq.read_table(out / "raw").to_pylist()
    assert len({row["candidate_id"] for row in raw}) == len(raw)
    assert {row["candidate_id"] for row in raw} == _expected_candidate_ids()
    assert load_config(out / "run_config.yaml") == load_config(ROOT / "configs/quickstart.yaml")

    import datasets

    sft = datasets.load_dataset(str(out), "sft", split="train", cache_dir=str(tmp_path / "hf"))
    # generate deduplicates: accepted kernels that copy a better one stay in raw only
    kept = [r for r in raw if r["status"] == "accepted" and r["dedup_reason"] is None]
    assert len(sft) == len(kept) == manifest["counts"]["sft"] > 0
    assert manifest["counts"]["duplicates"] == sum(r["dedup_reason"] is not None for r in raw)
    assert [m["role"] for m in sft[0]["messages"]] == ["system", "user", "assistant"]
    assert sft[0]["family"] and sft[0]["spec_id"] and sft[0]["candidate_id"]
    rl = datasets.load_dataset(str(out), "rl", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(rl) == manifest["counts"]["rl"] and "class Model(nn.Module)" in rl[0]["reference_code"]
    raw_ds = datasets.load_dataset(str(out), "raw", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(raw_ds) == 48
    pref = datasets.load_dataset(str(out), "preference", split="train", cache_dir=str(tmp_path / "hf"))
    assert len(pref) == manifest["counts"]["preference"] > 0


def test_killed_run_leaves_no_manifest_and_resume_completes_it(tmp_path):
    out = tmp_path / "killed"
    overrides = ("specs.num_specs=5", "verify.num_seeds=1")
    proc = _generate(out, *overrides, start_new_session=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((out / "_parts").glob("part-*.parquet")):
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, its local Ray instance, everything in its session
    proc.wait()
    assert not (out / "manifest.json").exists()
    done_before = {r for p in (out / "_parts").glob("part-*.parquet") for r in pq.read_table(p)["candidate_id"].to_pylist()}
    assert done_before

    refused = _generate(out, *overrides)
    assert refused.wait(timeout=120) == 2 and "--resume" in refused.stderr.read()

    resumed = _generate(out, *overrides, resume=True)
    _, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr[-3000:]
    raw = pq.read_table(out / "raw")["candidate_id"].to_pylist()
    assert len(raw) == len(set(raw)) == 20
    assert set(raw) == _expected_candidate_ids(*overrides)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["candidates"] == 20

    again = _generate(out, *overrides, resume=True)  # a complete run: nothing to do, nothing rewritten
    assert again.wait(timeout=300) == 0
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
             "specs.num_specs=3", "verify.num_seeds=1"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert submit.returncode == 0, (submit.stdout[-3000:], submit.stderr[-3000:])
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["ray"] == "cluster"
        assert manifest["counts"]["candidates"] == 12
    finally:
        subprocess.run(["ray", "stop", "--force"], env=env, capture_output=True, timeout=120)
