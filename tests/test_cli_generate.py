"""`kerneldata generate` as a new user meets it (issue 18): an endpoint that is down, a config typo on the
command line, a complete run directory, a dry run, what the end of a run says; and the small commands'
edge cases (`specs stats` on an empty file, `publish --dry-run` leaving nothing behind)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kerneldata import cli, pipeline

ROOT = Path(__file__).resolve().parent.parent


def kd(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kerneldata", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_ray(monkeypatch):
    def init_ray(config):
        raise AssertionError("Ray started")

    monkeypatch.setattr(pipeline, "_init_ray", init_ray)


def test_an_endpoint_that_is_down_exits_3_with_one_line_naming_the_url_before_anything_is_written(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/v1"
    out = tmp_path / "run"
    result = kd("generate", "--config", "configs/openai.yaml", "--out", str(out), "--no-progress",
                f"teacher.openai.base_url={url}", "teacher.openai.api_key_env=null", "teacher.openai.max_retries=1",
                "teacher.openai.backoff_base_s=0.01")
    assert result.returncode == 3, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: teacher endpoint {url} is unreachable: cannot connect ([Errno 111] Connection refused) (2 attempts)"]
    assert result.stdout == "" and not out.exists()


def test_an_unknown_override_key_is_blamed_on_the_command_line(tmp_path, capsys):
    assert cli.main(["generate", "--config", "configs/quickstart.yaml", "--out", str(tmp_path / "run"),
                     "specs.num_spec=3"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: command-line override 'specs.num_spec=3': unknown key 'specs.num_spec'")
    assert "quickstart.yaml" not in err and not (tmp_path / "run").exists()


def _complete_run(path: Path) -> Path:
    path.mkdir()
    counts = {"accepted": 4, "rejected": 2, "unverified": 0, "candidates": 6, "specs": 2, "raw": 6, "sft": 1,
              "rl": 2, "preference": 1, "duplicates": 3, "contaminated": 0}
    (path / "manifest.json").write_text(json.dumps({"counts": counts, "dedup": {"exact_duplicate": 3}}))
    return path


def test_a_complete_run_directory_says_so_and_how_to_start_anew(tmp_path, capsys, no_ray):
    out = _complete_run(tmp_path / "run")
    args = ["generate", "--config", "configs/quickstart.yaml", "--out", str(out)]
    assert cli.main(args) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out} is already a complete run (manifest.json exists); to "
                                               f"start anew, choose another --out or remove {out}")
    assert cli.main([*args, "--resume"]) == 0
    captured = capsys.readouterr()
    assert "is already a complete run" in captured.err and "nothing to do" in captured.err
    assert captured.out.startswith(f"{out}: 4 accepted, 2 rejected")


def test_the_end_of_a_run_says_what_the_splits_hold_and_warns_when_dedup_took_most():
    manifest = json.loads(json.dumps({"counts": {"accepted": 120, "sft": 26, "rl": 12, "preference": 30, "raw": 300,
                                                 "duplicates": 92, "contaminated": 2},
                                      "dedup": {"exact_duplicate": 80, "near_duplicate": 12}}))
    assert cli._what_you_got(manifest) == ("splits: sft 26, rl 12, preference 30, raw 300 rows; dedup marked 92 "
                                           "duplicates (80 exact, 12 near); decontamination marked 2 rows")
    assert cli._dedup_warning(manifest).startswith("dedup marked 92 of 120 accepted kernels as duplicates, so sft "
                                                   "has 26 rows")
    manifest["counts"]["duplicates"] = 60  # half: not most
    assert cli._dedup_warning(manifest) is None


def test_dry_run_previews_the_specs_and_a_prompt_and_asks_no_teacher(tmp_path, capsys, no_ray):
    out = tmp_path / "run"
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens: a dry run must not ask it anything
    assert cli.main(["generate", "--config", "configs/openai.yaml", "--out", str(out), "--dry-run",
                     "specs.num_specs=3", "specs.check_references=false", f"teacher.openai.base_url={url}",
                     "teacher.openai.api_key_env=null"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# resolved config\nrun:\n  name: openai\n")
    assert f"  out: {out}\n" in text
    assert "# specs: 3 would be drawn; the openai teacher would write 12 first answers" in text
    for section in ("families:", "ops:", "size_buckets:"):
        assert f"\n{section}\n" in text
    assert "# prompt for " in text and ": user\n" in text and "class Model(nn.Module)" in text
    assert not out.exists()
    # With refinement: the most candidates the run can judge (what a model teacher would be paid for at most).
    assert cli.main(["generate", "--config", "configs/quickstart.yaml", "--out", str(out), "--dry-run",
                     "specs.num_specs=3", "specs.check_references=false"]) == 0
    assert ("the builtin teacher would write 12 first answers, then refine for up to 2 rounds (at most 30 "
            "candidates in all)") in capsys.readouterr().out


def test_specs_stats_on_a_file_without_specs_exits_2(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = kd("specs", "stats", str(empty))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {empty} holds no specs (write some with `kerneldata specs sample`)"


def test_publish_dry_run_leaves_no_temporary_folder(tmp_path, capsys, monkeypatch):
    from kerneldata.core.config import Config
    from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
    from shards.writer import RunWriter
    from tests.shards.conftest import raw_row

    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False)
    writer.write_part(table_from_rows([raw_row("e-a", "a1", "accepted")], RAW_SCHEMA))
    writer.finalize(Config().to_yaml())
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert cli.main(["publish", str(run_dir), "--repo-id", "org/name", "--dry-run"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["folder"] is None and list(temp.iterdir()) == []
    assert {"README.md", "manifest.json", "run_config.yaml"} <= {f["path"] for f in listing["files"]}
    assert listing["bytes"] == sum(f["bytes"] for f in listing["files"]) > 0
    assert cli.main(["publish", str(run_dir), "--repo-id", "org/name", "--folder", str(tmp_path / "up")]) == 2
