"""kerneldata.reward on CPU (Triton interpreter): a small honest candidate earns the correct-kernel reward,
a wrong one and a completion without code earn 0; the shaping grows with speedup; the TRL and veRL entry
points read the row the way those trainers pass it; `kerneldata reward` prints the score and exits by the
verdict, as `verify` does. Four verifications in all: the interpreter is slow."""

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
    assert result.returncode == 1, result.stderr  # rejected: no code
    assert json.loads(result.stdout) == {"reward": 0.0, "status": "rejected", "reason_code": "no_code",
                                         "reason": "no candidate code in the completion (no_code).",
                                         "speedup_vs_eager": None}
    assert result.stderr == "rejected: no candidate code in the completion (no_code).\n"


@pytest.mark.parametrize(("code", "problem", "exit_code", "printed"), [
    (c.HONEST, c.RELU_PROBLEM, 0, "reward 1.0000: accepted (ok): "),
    (c.WRONG_VALUES, c.RELU_PROBLEM, 1, "reward 0.0000: rejected (mismatch): "),
    (c.TF32_MATMUL, c.MATMUL_PROBLEM, 3, "reward 0.0000: unverified (interpreter_limit): "),
])
def test_the_command_prints_the_score_and_exits_by_the_verdict(tmp_path, code, problem, exit_code, printed):
    row_file, completion = tmp_path / "row.json", tmp_path / "completion.md"
    row_file.write_text(json.dumps({"reference_code": problem}))  # dtype and tolerances read from the problem
    completion.write_text(fenced(code))
    result = kd("reward", "--row", str(row_file), "--completion", str(completion), "--device", "cpu")
    assert result.returncode == exit_code, result.stderr
    assert result.stdout.startswith(printed) and len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize(("row", "message"), [
    ("not json", "not JSON"),
    ('{"dtype": "float32"}', "expected a JSON object with reference_code"),
])
def test_the_command_exits_2_on_bad_input(tmp_path, row, message):
    row_file, completion = tmp_path / "row.json", tmp_path / "completion.md"
    row_file.write_text(row)
    completion.write_text("no code")
    result = kd("reward", "--row", str(row_file), "--completion", str(completion), "--device", "cpu")
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.splitlines()) == 1


ABS_PROBLEM = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return x.abs() * 2


def get_inputs():
    return [torch.rand(64, 64) + 0.1]


def get_init_inputs():
    return []
'''
# Correct wherever x >= 0: on its declared domain (`positive`), not beyond it.
DOUBLES = c.relu_candidate('''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''').replace("tl.maximum(x, 0.0)", "x * 2.0")


def test_the_reward_judges_a_row_as_the_dataset_verifier_does_with_its_input_domains():
    """The rl row's input domains reach the verifier through the reward (filters.verifier.judge.judge_row): inside its
    domain the kernel is right; a row that declared none is checked on negated inputs too."""
    row = {"reference_code": ABS_PROBLEM, "dtype": "float32", "atol": 1e-4, "rtol": 1e-4}
    completion = fenced(DOUBLES)
    assert score(completion, {**row, "input_domains": ["positive"]}, device="cpu").status == "accepted"
    undeclared = score(completion, row, device="cpu")
    assert (undeclared.status, undeclared.reason_code) == ("rejected", "mismatch")
    through_verl = json.loads(verl_ground_truth({**row, "input_domains": ["positive"]}))
    assert through_verl["input_domains"] == ["positive"]


def test_the_reward_checks_a_rows_other_workloads():
    # Issue 16: the rl row's `workloads` (its problem at other sizes, not in the prompt) are checked too, so a
    # kernel fixed to the prompt's shapes earns nothing; an honest one earns the correct-kernel reward.
    from pathlib import Path

    cheat = (Path(__file__).parent / "filters" / "cheats" / "shape_fixed_grid.py").read_text()
    wider = c.RELU_PROBLEM.replace("torch.randn(16, 300)", "torch.randn(48, 300)")
    reward = make_grpo_reward(device="cpu")
    row = {**ROW, "workloads": [{"label": "rows=48", "shapes": [[48, 300]], "reference_code": wider}]}
    columns = {key: [value] * 2 for key, value in row.items()}
    assert reward([fenced(c.HONEST), fenced(cheat)], **columns) == [1.0, 0.0]
    result = score(fenced(cheat), row, device="cpu")
    assert result.reason_code == "shape_specialised" and "rows=48" in result.reason
    assert json.loads(verl_ground_truth(row))["workloads"] == row["workloads"]
