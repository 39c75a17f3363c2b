"""Crash safety, as users meet it: `generate` killed with SIGKILL at different moments (the driver, its local Ray
instance and every worker at once), or stopped with Ctrl-C, then `--resume`d, ends with the rows of an
uninterrupted run, none twice: one pass and with refinement, on a quickstart-sized run (CPU, builtin teacher).

The verifier draws fresh random inputs each time it judges, so measured errors (and the feedback sentences
quoting them) differ from run to run. One pass: the resumed run's splits must hold the rows of an
uninterrupted run (ids, code, verdicts; see KEYS). Refinement ranks a spec's accepted CPU kernels by those
errors, so two uninterrupted runs may refine different parents; there the resumed raw must be exactly what
an uninterrupted run with the same verdicts writes (the loop replayed on them, tests/pipeline/replay.py),
and its first answers those of the uninterrupted run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.pipeline.replay import assert_raw_is_the_loop_replayed_on_its_own_verdicts

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
SMALL = ("specs.num_specs=4", "teacher.samples_per_spec=2", "verify.num_seeds=1", "refine.specs_per_batch=2",
         "refine.batches_in_flight=2")
CONFIGS = {
    "one_pass": (*SMALL, "refine.max_turns=0"),
    "refine": (*SMALL, "refine.max_turns=2", "refine.max_candidates_per_spec=5"),
}
# What must agree between two runs, per split (see the module docstring).
KEYS = {
    "raw": ("candidate_id", "spec_id", "turn", "parent_id", "code", "status", "reason_code", "dedup_reason"),
    "sft": ("candidate_id", "turns"),
    "rl": ("spec_id", "candidate_id", "num_candidates", "pass_rate"),
    "preference": ("candidate_id", "rejected_candidate_id", "rejected_reason"),
}


def generate(out: Path, overrides, *, resume: bool = False) -> subprocess.Popen:
    args = [sys.executable, "-m", "kerneldata", "generate", "--config", "configs/quickstart.yaml", "--out", str(out),
            *(["--resume"] if resume else []), *overrides]
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    # A session of its own, like a command started from a shell: signals go to its whole process group.
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def finish(proc: subprocess.Popen, timeout_s: float = 900) -> str:
    stdout, stderr = proc.communicate(timeout=timeout_s)
    assert proc.returncode == 0, stderr[-3000:]
    return stdout


def rows_of(run_dir: Path) -> dict[str, list[tuple]]:
    out = {}
    for split, keys in KEYS.items():
        table = pq.read_table(run_dir / split, columns=list(keys))
        out[split] = sorted(tuple(json.dumps(value) for value in row.values()) for row in table.to_pylist())
    return out


def parts(run_dir: Path) -> list[dict]:
    """The checkpointed rows (turn and id) so far: committed parts only (their `.done` marker exists)."""
    rows = []
    for path in sorted((run_dir / "_parts").glob("part-*.parquet")):
        if path.with_suffix(".done").exists():
            rows += pq.read_table(path, columns=["candidate_id", "turn"]).to_pylist()
    return rows


def judged_in_worker_logs(run_dir: Path) -> int:
    """Verdicts the verifier workers have logged so far."""
    return sum(path.read_text().count(" verify ") for path in (run_dir / "logs").glob("verifier-*.log"))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The rows of an uninterrupted run of each config, made once."""
    made = {}

    def rows(name: str) -> dict:
        if name not in made:
            out = tmp_path_factory.mktemp("reference") / name
            finish(generate(out, CONFIGS[name]))
            made[name] = rows_of(out)
        return made[name]

    return rows


# When to kill: a predicate on the checkpointed rows.
MOMENTS = {
    "first_part": lambda rows: len(rows) > 0,
    "mid_refinement": lambda rows: any(row["turn"] > 0 for row in rows),
}


@pytest.mark.parametrize(("config", "moment"), [("one_pass", "first_part"), ("refine", "first_part"),
                                               ("refine", "mid_refinement")])
def test_sigkill_then_resume_gives_the_rows_of_an_uninterrupted_run(tmp_path, uninterrupted, config, moment):
    out = tmp_path / "run"
    proc = generate(out, CONFIGS[config])
    deadline = time.monotonic() + 600
    while not MOMENTS[moment](parts(out)):
        assert proc.poll() is None, f"the run ended before the moment to kill it: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver, its local Ray instance, every worker
    proc.wait()
    killed_with = parts(out)
    assert not (out / "manifest.json").exists() and killed_with

    finish(generate(out, CONFIGS[config], resume=True))
    assert_same_rows(out, config, uninterrupted)
    raw_ids = set(pq.read_table(out / "raw", columns=["candidate_id"])["candidate_id"].to_pylist())
    assert {row["candidate_id"] for row in killed_with} <= raw_ids
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["sessions"] == 2 and manifest["counts"]["raw"] == len(raw_ids)
    assert not (out / "_parts").exists()


def assert_same_rows(out: Path, config: str, uninterrupted) -> None:
    """The rows of an uninterrupted run (see the module docstring), none twice."""
    resumed = rows_of(out)
    for split, rows in resumed.items():
        assert len(rows) == len(set(rows)), f"a row of {split} written twice"
    raw_ids = [json.loads(row[0]) for row in resumed["raw"]]
    assert len(raw_ids) == len(set(raw_ids)), "a candidate written twice"
    if config == "one_pass":
        assert resumed == uninterrupted(config)
        return
    assert_raw_is_the_loop_replayed_on_its_own_verdicts(pq.read_table(out / "raw").to_pylist(), *CONFIGS[config])
    turn = KEYS["raw"].index("turn")
    assert ([row for row in resumed["raw"] if row[turn] == "0"]
            == [row for row in uninterrupted(config)["raw"] if row[turn] == "0"])


def test_ctrl_c_keeps_what_was_judged_says_how_to_resume_and_resume_completes_it(tmp_path, uninterrupted):
    out = tmp_path / "run"
    proc = generate(out, CONFIGS["refine"])
    deadline = time.monotonic() + 600
    while judged_in_worker_logs(out) < 3:  # verification under way, nothing checkpointed yet (every 10 s)
        assert proc.poll() is None, proc.stderr.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    stdout, stderr = proc.communicate(timeout=120)

    assert proc.returncode == 130, stderr[-3000:]
    assert stdout == ""
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: interrupted; ") and "no manifest was written" in last
    assert f"Resume with: kerneldata generate --config configs/quickstart.yaml --out {out} --resume " in last
    assert not (out / "manifest.json").exists()
    kept = parts(out)
    assert kept, "the candidates judged before Ctrl-C are checkpointed"
    assert "interrupted" in (out / "logs" / "run.log").read_text()

    finish(generate(out, CONFIGS["refine"], resume=True))
    assert_same_rows(out, "refine", uninterrupted)
    assert json.loads((out / "manifest.json").read_text())["sessions"] == 2
