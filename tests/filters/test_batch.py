"""verify-batch: many verdicts through zygote-forked children, written as they finish, resumable."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.filters import candidates as c

ROOT = Path(__file__).resolve().parents[2]


def _run(*args):
    return subprocess.run([sys.executable, "-m", "kerneldata", "verify-batch", *args], capture_output=True,
                          text=True, cwd=ROOT, timeout=600)


def test_verify_batch_writes_every_verdict_and_resumes(tmp_path):
    rows = [
        {"id": "honest", "reference_code": c.RELU_PROBLEM, "code": c.HONEST},
        {"id": "wrong", "problem": c.RELU_PROBLEM, "candidate": c.WRONG_VALUES},
        {"id": "static", "reference_code": c.RELU_PROBLEM, "code": c.TORCH_DOES_THE_WORK},
        {"id": "tf32", "reference_code": c.MATMUL_PROBLEM, "code": c.TF32_MATMUL},
        {"id": "crash", "reference_code": c.RELU_PROBLEM, "code": c.SEGFAULTS},
    ]
    cands = tmp_path / "cands.jsonl"
    cands.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "results.jsonl"
    result = _run("--in", str(cands), "--out", str(out), "--device", "cpu", "--workers-per-device", "2",
                  "--seeds", "1", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert (summary["verified"], summary["accepted"], summary["rejected"], summary["unverified"]) == (5, 1, 3, 1)
    verdicts = {json.loads(line)["id"]: json.loads(line) for line in out.read_text().splitlines()}
    assert verdicts["honest"]["status"] == "accepted"
    assert verdicts["wrong"]["reason_code"] == "mismatch"
    assert verdicts["static"]["stage"] == "static"
    assert verdicts["tf32"]["status"] == "unverified"
    assert verdicts["crash"]["reason_code"] == "crashed"

    again = _run("--in", str(cands), "--out", str(out), "--device", "cpu")
    assert again.returncode == 2 and "--resume" in again.stderr
    resumed = _run("--in", str(cands), "--out", str(out), "--device", "cpu", "--resume", "--json")
    assert json.loads(resumed.stdout)["skipped"] == 5
    assert len(out.read_text().splitlines()) == 5


def test_verify_batch_bad_input_names_the_line(tmp_path):
    cands = tmp_path / "cands.jsonl"
    cands.write_text(json.dumps({"id": 1, "code": "x"}) + "\n")
    result = _run("--in", str(cands), "--out", str(tmp_path / "o.jsonl"), "--device", "cpu")
    assert result.returncode == 2 and "cands.jsonl:1: needs 'reference_code'" in result.stderr
    cands.write_text("{not json\n")
    assert "cands.jsonl:1: not JSON" in _run("--in", str(cands), "--out", str(tmp_path / "o.jsonl")).stderr


def test_batch_order_spreads_candidates_over_problems():
    from filters.verifier.batch import _spread_by_problem

    items = [{"id": f"{p}{i}", "reference_code": p} for p in "abc" for i in range(3)] + \
        [{"id": "d0", "reference_code": "d"}]
    order = [item["id"] for item in _spread_by_problem(items)]
    assert order == ["a0", "b0", "c0", "d0", "a1", "b1", "c1", "a2", "b2", "c2"]


def test_one_line_never_costs_the_others_their_verdicts(tmp_path, monkeypatch):
    """A problem that does not run, and a candidate the verifier itself fails on, are those lines' verdicts
    (unverified); every other line is judged as usual."""
    import filters.verifier.batch as batch
    from filters.verifier.options import VerifyOptions

    real_judge = batch.judge_row

    def judge_row(row, **kwargs):
        if "VERIFIER_BUG" in row["code"]:
            raise RuntimeError("an internal error of ours")
        return real_judge(row, **kwargs)

    monkeypatch.setattr(batch, "judge_row", judge_row)
    items = [
        {"id": "first", "reference_code": c.RELU_PROBLEM, "code": c.HONEST},
        {"id": "broken", "reference_code": "import torch\nclass Model: pass\n", "code": c.HONEST},
        {"id": "raises", "reference_code": c.RELU_PROBLEM, "code": c.HONEST + "\n# VERIFIER_BUG\n"},
        {"id": "last", "reference_code": c.RELU_PROBLEM, "code": c.WRONG_VALUES},
    ]
    items = [{"dtype": "float32", "atol": None, "rtol": None, **item} for item in items]
    out = tmp_path / "results.jsonl"
    summary = batch.verify_batch(items, out, options=VerifyOptions(device="cpu", timeout_s=60, num_seeds=1),
                                 devices=[0], workers_per_device=1)
    verdicts = {json.loads(line)["id"]: json.loads(line) for line in out.read_text().splitlines()}
    assert set(verdicts) == {"first", "broken", "raises", "last"}
    assert verdicts["first"]["status"] == "accepted" and verdicts["last"]["reason_code"] == "mismatch"
    assert (verdicts["broken"]["status"], verdicts["broken"]["reason_code"]) == ("unverified", "bad_reference")
    assert "lacks get_inputs" in verdicts["broken"]["reason"]
    assert (verdicts["raises"]["status"], verdicts["raises"]["reason_code"]) == ("unverified", "verifier_fault")
    assert summary["unverified"] == 2
