"""kerneldata.reward on CPU (Triton interpreter): a small honest candidate earns the correct-kernel reward,
a wrong one and a completion without code earn 0; the shaping grows with speedup; the TRL and veRL entry
points read the row the way those trainers pass it. Two verifications in all: the interpreter is slow."""

from __future__ import annotations

import json
import math

import pytest

from kerneldata.reward import (
    RewardConfig, compute_score, make_grpo_reward, score, shaped, verl_ground_truth,
)
from tests.filters import candidates as c
from tests.test_cli import kd

ROW = {"reference_code": c.RELU_PROBLEM, "dtype": "float32", "atol": 1e-4, "rtol": 1e-4,
       "family": "elementwise", "shapes": [[16, 300]]}


def fenced(code: str) -> str:
    return f"Here is my kernel.\n```python\n{code}\n```\n"


def test_shaping_grows_with_speedup_and_is_capped():
    config = RewardConfig()
    assert shaped(None) == config.correct
    assert shaped(1.0) == pytest.approx(1.0)
    assert shaped(2.0) == pytest.approx(1.5) and shaped(4.0) == pytest.approx(2.0)
    assert shaped(16.0) == shaped(1000.0) == pytest.approx(1.0 + 0.5 * math.log2(16))
    assert shaped(0.5) == pytest.approx(0.5) and shaped(1e-9) == config.min_correct > 0


def test_no_code_scores_zero_without_running_anything():
    result = score("I cannot write this kernel.", ROW, device="cpu")
    assert (result.reward, result.status, result.reason_code) == (0.0, "rejected", "no_code")


def test_grpo_reward_scores_honest_and_wrong_completions_on_cpu():
    reward = make_grpo_reward(device="cpu")
    conversational = [[{"role": "assistant", "content": fenced(c.HONEST)}],
                      [{"role": "assistant", "content": fenced(c.WRONG_VALUES)}]]
    columns = {key: [ROW[key]] * 2 for key in ROW}
    assert reward(conversational, **columns, prompts=[None, None]) == [1.0, 0.0]


def test_verl_ground_truth_round_trips_and_the_command_prints_json(tmp_path):
    gt = verl_ground_truth(ROW)
    assert json.loads(gt)["reference_code"] == c.RELU_PROBLEM
    assert compute_score("kerneldata", "no code here", gt) == 0.0
    row_file = tmp_path / "row.json"
    row_file.write_text(json.dumps(ROW))
    completion = tmp_path / "completion.md"
    completion.write_text("no fenced code at all")
    result = kd("reward", "--row", str(row_file), "--completion", str(completion), "--device", "cpu", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"reward": 0.0, "status": "rejected", "reason_code": "no_code",
                                         "reason": "no candidate code in the completion (no_code).",
                                         "speedup_vs_eager": None}
