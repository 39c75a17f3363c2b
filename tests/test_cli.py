"""The `kerneldata` command: exit codes, one-line reasons, `--json` purity (DESIGN section 3.2)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.filters import candidates as c

ROOT = Path(__file__).resolve().parent.parent


def kd(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kerneldata", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.fixture
def files(tmp_path):
    def write(name, text):
        path = tmp_path / name
        path.write_text(text)
        return str(path)
    return write


@pytest.mark.parametrize(
    ("candidate", "problem", "code", "status"),
    [
        (c.HONEST, c.RELU_PROBLEM, 0, "accepted"),
        (c.WRONG_VALUES, c.RELU_PROBLEM, 1, "rejected"),
        (c.TF32_MATMUL, c.MATMUL_PROBLEM, 3, "unverified"),
    ],
)
def test_verify_exit_codes_and_json(files, candidate, problem, code, status):
    result = kd("verify", "--problem", files("ref.py", problem), "--candidate", files("cand.py", candidate),
                "--device", "cpu", "--json")
    assert result.returncode == code, result.stderr
    verdict = json.loads(result.stdout)  # stdout is one JSON value and nothing else
    assert verdict["status"] == status
    for key in ("stage", "reason", "max_abs_err", "max_rel_err", "speedup_vs_eager", "speedup_vs_compile",
                "device", "hardware"):
        assert key in verdict
    if code:
        assert len(result.stderr.strip().splitlines()) == 1


def test_verify_without_json_prints_one_line(files):
    result = kd("verify", "--problem", files("ref.py", c.RELU_PROBLEM), "--candidate",
                files("cand.py", c.NO_KERNEL), "--device", "cpu")
    assert result.returncode == 1
    assert result.stdout.startswith("rejected (static): the candidate defines no @triton.jit kernel.")


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "--problem", "/nonexistent/ref.py", "--candidate", "/nonexistent/c.py"],
        ["verify", "--problem", "REF", "--candidate", "CAND", "--device", "tpu"],
        ["verify", "--problem", "BROKEN", "--candidate", "CAND", "--device", "cpu"],
        ["generate", "--config", "/nonexistent.yaml"],
        ["generate", "--config", "configs/quickstart.yaml", "specs.nmu=3"],
        ["generate", "--config", "configs/quickstart.yaml", "specs.num_specs=lots"],
        ["generate", "--config", "configs/quickstart.yaml", "--out", "/dev/null/run"],
        ["generate", "--config", "configs/quickstart.yaml", "--out", "NONEMPTY"],
        ["specs", "sample", "--n", "0", "--out", "-"],
        ["specs", "sample", "--n", "3", "--families", "conv", "--out", "-"],
        ["frobnicate"],
        [],
    ],
)
def test_bad_usage_exits_2_with_one_line(files, tmp_path, args):
    replacements = {"REF": files("ref.py", c.RELU_PROBLEM), "CAND": files("cand.py", c.HONEST),
                    "BROKEN": files("broken.py", "import torch\nclass Model: pass\n")}
    nonempty = tmp_path / "nonempty"
    nonempty.mkdir()
    (nonempty / "something.txt").write_text("a user's file")
    replacements["NONEMPTY"] = str(nonempty)
    result = kd(*[replacements.get(arg, arg) for arg in args])
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert (nonempty / "something.txt").read_text() == "a user's file"


def test_bad_usage_messages_name_the_problem(tmp_path):
    assert "unknown key 'specs.nmu'" in kd("generate", "--config", "configs/quickstart.yaml", "specs.nmu=3").stderr
    assert "config file not found" in kd("generate", "--config", "nope.yaml").stderr
    assert "cannot write to output directory" in kd("generate", "--config", "configs/quickstart.yaml",
                                                    "--out", "/dev/null/run").stderr
    (tmp_path / "f").write_text("x")
    assert "--resume" in kd("generate", "--config", "configs/quickstart.yaml", "--out", str(tmp_path)).stderr


def test_specs_sample_writes_jsonl(tmp_path):
    out = tmp_path / "specs.jsonl"
    result = kd("specs", "sample", "--n", "7", "--seed", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 7
    for line in lines:
        assert {"spec_id", "family", "ops", "dtype", "shapes", "source", "origin"} <= set(line)
        assert "class Model(nn.Module)" in line["source"] and "def get_inputs" in line["source"]
    again = kd("specs", "sample", "--n", "7", "--seed", "3", "--out", "-")
    assert again.stdout == out.read_text()


def test_every_subcommand_has_help():
    for args in (["--help"], ["generate", "--help"], ["verify", "--help"], ["specs", "sample", "--help"]):
        result = kd(*args)
        assert result.returncode == 0 and "usage:" in result.stdout
