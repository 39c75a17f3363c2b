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


# Output independent of the inputs: a constant, and a weight that only looks like a factor (zero at its
# default initialisation, so the output is constant until the verifier re-draws it: not refused).
_CONSTANT_PROBLEM = c.RELU_PROBLEM.replace("torch.relu(x)", "torch.zeros_like(x) + 1")
_ZERO_WEIGHT_PROBLEM = c.RELU_PROBLEM.replace(
    "        super().__init__()\n", "        super().__init__()\n        self.w = nn.Parameter(torch.zeros(300))\n"
).replace("torch.relu(x)", "torch.relu(x) * self.w")


def test_verify_refuses_a_problem_whose_output_does_not_depend_on_its_inputs(files):
    result = kd("verify", "--problem", files("ref.py", _CONSTANT_PROBLEM), "--candidate",
                files("cand.py", c.HONEST), "--device", "cpu")
    assert result.returncode == 2, result.stderr
    assert "does not depend on its inputs" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_verify_refuses_a_problem_whose_output_is_random(files):
    dropout = c.RELU_PROBLEM.replace("torch.relu(x)", "torch.nn.functional.dropout(x, 0.5, self.training)")
    result = kd("verify", "--problem", files("ref.py", dropout), "--candidate", files("cand.py", c.HONEST),
                "--device", "cpu")
    assert result.returncode == 2, result.stderr
    assert "output is random" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_input_dependence_sees_through_a_zero_initialised_weight():
    from filters.verifier.verify import require_input_dependence

    assert "self.w = nn.Parameter(torch.zeros(300))" in _ZERO_WEIGHT_PROBLEM
    require_input_dependence(_ZERO_WEIGHT_PROBLEM)  # does not raise
    require_input_dependence(c.RELU_PROBLEM)


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
        ["specs", "sample", "--n", "3", "--families", "convolution", "--out", "-"],
        ["specs", "sample", "--n", "3", "--ops", "conv4d", "--out", "-"],
        ["specs", "sample", "--n", "3", "--dtypes", "float64", "--out", "-"],
        ["specs", "sample", "--n", "3", "--out", "-", "--rejected", "r.jsonl"],
        ["specs", "sample", "--n", "3", "--out", "-", "--external", "/nonexistent/problems"],
        ["specs", "sample", "--n", "3", "--out", "-", "--config", "/nonexistent.yaml"],
        ["specs", "render", "conv4d"],
        ["specs", "render", "matmul-0123456789abcdef", "--in", "/nonexistent.jsonl"],
        ["specs", "stats", "/nonexistent.jsonl"],
        ["specs", "stats", "NOTSPECS"],
        ["frobnicate"],
    ],
)
def test_bad_usage_exits_2_with_one_line(files, tmp_path, args):
    replacements = {"REF": files("ref.py", c.RELU_PROBLEM), "CAND": files("cand.py", c.HONEST),
                    "BROKEN": files("broken.py", "import torch\nclass Model: pass\n"),
                    "NOTSPECS": files("not_specs.jsonl", '{"a": 1}\n')}
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


def test_specs_sample_check_replaces_degenerate_specs_and_reports_them(tmp_path):
    out, rejected = tmp_path / "specs.jsonl", tmp_path / "rejected.jsonl"
    result = kd("specs", "sample", "--n", "20", "--seed", "0", "--ops", "prod,cumprod,sum", "--max-numel", "4096",
                "--check", "--rejected", str(rejected), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert len(out.read_text().splitlines()) == 20
    for line in rejected.read_text().splitlines():
        assert json.loads(line)["reason"] in {"constant", "near_zero", "non_finite", "ignores_input"}


def test_specs_render_by_op_and_by_id(tmp_path):
    by_op = kd("specs", "render", "rms_norm", "--seed", "2", "--dtype", "bfloat16")
    assert by_op.returncode == 0, by_op.stderr
    assert "class Model(nn.Module)" in by_op.stdout and "DTYPE = torch.bfloat16" in by_op.stdout
    # One sample of an op is a spec like the sampler's: it carries the op at other sizes too (issue 16).
    op_json = json.loads(kd("specs", "render", "rms_norm", "--seed", "2", "--json").stdout)
    assert op_json["workloads"] and all(w["reference_code"] != op_json["source"] for w in op_json["workloads"])
    out = tmp_path / "specs.jsonl"
    assert kd("specs", "sample", "--n", "5", "--out", str(out)).returncode == 0
    line = json.loads(out.read_text().splitlines()[3])
    by_id = kd("specs", "render", line["spec_id"], "--in", str(out))
    assert by_id.returncode == 0 and by_id.stdout == line["source"]
    as_json = json.loads(kd("specs", "render", line["spec_id"], "--in", str(out), "--json").stdout)
    assert as_json == line
    missing = kd("specs", "render", "matmul-0000000000000000", "--in", str(out))
    assert missing.returncode == 2 and "is not in" in missing.stderr


def test_specs_stats_counts_coverage(tmp_path):
    out = tmp_path / "specs.jsonl"
    assert kd("specs", "sample", "--n", "300", "--seed", "1", "--dtypes", "float32,bfloat16", "--out",
              str(out)).returncode == 0
    result = kd("specs", "stats", str(out), "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["specs"] == 300 and sum(stats["families"].values()) == 300
    assert len(stats["families"]) >= 12 and set(stats["dtypes"]) == {"float32", "bfloat16"}
    assert sum(stats["size_buckets"].values()) == 300 and stats["distinct_ops"] >= 60
    text = kd("specs", "stats", str(out))
    # 12 families and fused chains, and the five of issue 16 (llm, kvcache, moe, quant, recsys)
    assert text.returncode == 0 and text.stdout.startswith(f"300 specs, {len(stats['families'])} families")
    assert len(stats["families"]) == 18
    assert "size_buckets:" in text.stdout


def test_every_subcommand_has_help():
    for args in (["--help"], ["generate", "--help"], ["verify", "--help"], ["specs", "sample", "--help"],
                 ["specs", "render", "--help"], ["specs", "stats", "--help"]):
        result = kd(*args)
        assert result.returncode == 0 and "usage:" in result.stdout


def test_verify_takes_the_run_configs_verify_section_and_flags_win(files):
    """`verify --config` reads the same `verify` section a run uses (one config for the pipeline, the CLI and
    the reward); a flag given on the command line overrides it; a bad value is named by its key."""
    problem, candidate = files("ref.py", c.RELU_PROBLEM), files("cand.py", c.HONEST)
    config = files("run.yaml", "verify:\n  device: cpu\n  num_seeds: 1\n  timeout_s: 90\n")
    result = kd("verify", "--config", config, "--problem", problem, "--candidate", candidate, "--json")
    assert result.returncode == 0, result.stderr
    assert "on 1 unseen inputs" in json.loads(result.stdout)["reason"]
    result = kd("verify", "--config", config, "--seeds", "2", "--problem", problem, "--candidate", candidate,
                "--json")
    assert "on 2 unseen inputs" in json.loads(result.stdout)["reason"]
    bad = kd("verify", "--config", files("bad.yaml", "verify:\n  num_seeds: 0\n"), "--problem", problem,
             "--candidate", candidate)
    assert bad.returncode == 2 and "verify.num_seeds" in bad.stderr, bad.stderr


def test_bare_kerneldata_prints_help_and_version_prints_the_version():
    from kerneldata import __version__

    bare = kd()
    assert bare.returncode == 0 and "usage: kerneldata" in bare.stdout and "verify-batch" in bare.stdout
    version = kd("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"kerneldata {__version__}"


def test_verify_checks_each_workload_and_names_the_one_a_shape_fixed_kernel_fails(files):
    cheat = (ROOT / "tests" / "filters" / "cheats" / "shape_fixed_block.py").read_text()
    problem = (ROOT / "tests" / "filters" / "problems" / "row_sum.py").read_text()
    wider = (ROOT / "tests" / "filters" / "problems" / "row_sum_8x700.py").read_text()
    args = ("verify", "--problem", files("ref.py", problem), "--candidate", files("cand.py", cheat),
            "--device", "cpu", "--seeds", "1", "--json")
    alone = kd(*args)
    assert alone.returncode == 0, alone.stderr  # right on the one shape it was written for
    result = kd(*args, "--workload", files("wide.py", wider))
    assert result.returncode == 1, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["reason_code"] == "shape_specialised" and "'wide'" in verdict["reason"]
    assert verdict["workload_speedups"] is None and verdict["speedup_geomean"] is None  # not measured on CPU
