"""`kerneldata generate` with the openai teacher, end to end on local Ray: a local chat-completions server answers
each quickstart spec with the built-in teacher's kernels for it (behind a <think> block), the verifier judges
them, and the API key, set in the environment under the configured name, is found in no file of the run
directory (Parquet decoded too), no Ray log and not in the command's output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from generators.prompts import Prompter
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.teachers.builtin import BuiltinTeacher
from kerneldata.core.config import PromptConfig, TeacherConfig, load_config
from tests.generators.chat_server import ChatServer, Reply, completion

# The first prompt every teacher asks with the default `teacher.prompt` section.
first_prompt = Prompter(PromptConfig())

ROOT = Path(__file__).resolve().parents[2]
KEY_ENV = "KD_RUN_TEACHER_KEY"
KEY = "sk-kd-run-5be0c41f9a2e7d38"
SAMPLES = 2
# One pass, no refinement rounds: three specs make exactly three requests.
OVERRIDES = ["specs.num_specs=3", f"teacher.samples_per_spec={SAMPLES}", "verify.num_seeds=1", "refine.max_turns=0",
             "teacher.kind=openai", "teacher.openai.model=builtin-over-http", f"teacher.openai.api_key_env={KEY_ENV}"]
pytestmark = pytest.mark.slow


def builtin_answers() -> dict[str, list[str]]:
    """user message -> the built-in teacher's completions for that spec, for the specs the run will sample."""
    config = load_config(ROOT / "configs/quickstart.yaml", OVERRIDES)
    specs, _ = sample_checked(SpecSampler(config.specs, config.run.seed), config.specs.num_specs, seed=config.run.seed)
    builtin = BuiltinTeacher(TeacherConfig(samples_per_spec=SAMPLES), seed=config.run.seed)
    return {first_prompt(spec.to_row())[1]["content"]: [row["completion"] for row in builtin.generate(spec.to_row())]
            for spec in specs}


def test_generate_with_the_openai_teacher_writes_rows_and_never_the_key(tmp_path):
    answers = builtin_answers()

    def answer(body: dict):
        if body.get("n", 1) > SAMPLES or body["messages"][-1]["content"] not in answers:
            return Reply({"error": {"message": "unknown prompt"}}, status=400)
        kernels = answers[body["messages"][-1]["content"]][:body.get("n", 1)]
        return completion([f"<think>Plan for sample {i}.</think>\n{text}" for i, text in enumerate(kernels)])

    out = tmp_path / "run"
    ray_tmp = Path(tempfile.mkdtemp(prefix="kdray", dir="/tmp"))  # short: Ray's socket paths must fit 107 bytes
    env = {**os.environ, KEY_ENV: KEY, "RAY_TMPDIR": str(ray_tmp), "RAY_USAGE_STATS_ENABLED": "0"}
    env.pop("RAY_ADDRESS", None)
    try:
        with ChatServer(answer=answer) as server:
            proc = subprocess.run(
                [sys.executable, "-m", "kerneldata", "generate", "--config", "configs/quickstart.yaml", "--out", str(out),
                 *OVERRIDES, f"teacher.openai.base_url={server.base_url}"],
                cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
            assert proc.returncode == 0, proc.stderr[-3000:]
        assert len(server.requests) == 3 and all(h["Authorization"] == f"Bearer {KEY}" for h in server.headers)

        raw = pq.read_table(out / "raw").to_pylist()
        assert len(raw) == 3 * SAMPLES and {row["teacher"] for row in raw} == {"openai"}
        assert all(row["teacher_model"] == "builtin-over-http" and row["code"] for row in raw)
        assert sorted(row["reasoning"] for row in raw) == sorted(f"Plan for sample {i}." for i in range(SAMPLES) for _ in "abc")
        assert not any("<think>" in row["completion"] for row in raw)
        assert all(json.loads(row["teacher_meta"])["finish_reason"] == "stop" for row in raw)
        assert sum(row["status"] == "accepted" for row in raw) >= 2
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["counts"]["raw"] == 3 * SAMPLES

        leaks = [path for path in [*out.rglob("*"), *ray_tmp.rglob("*")] if path.is_file() and _holds_key(path)]
        assert leaks == []
        assert KEY not in proc.stdout and KEY not in proc.stderr
        assert KEY_ENV in (out / "run_config.yaml").read_text()  # the variable's name is recorded, not its value
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)


def _holds_key(path: Path) -> bool:
    try:
        if KEY.encode() in path.read_bytes():
            return True
    except OSError:  # a socket or a file Ray removed meanwhile
        return False
    if path.suffix == ".parquet":  # compressed: the bytes alone prove nothing
        return KEY in json.dumps(pq.read_table(path).to_pylist(), default=str)
    return False
