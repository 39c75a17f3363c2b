"""A verifiable reward for RL on kerneldata's `rl` rows: the verifier decides, the speedup shapes.

`score(completion, row)` extracts the candidate from a model's completion (`generators.extract`), runs
the verifier on the row exactly as the dataset's verify stage does (`filters.verifier.judge.judge_row`: the row's
`reference_code`, dtype, tolerances, input domains and FLOP count; options from the same `verify` config
section), and returns a `RewardResult`. The reward is

- 0 when nothing could be extracted, or the kernel is rejected or unverified (this device cannot judge
  it: no credit either way);
- for an accepted kernel, `correct` plus `speed_weight * log2(speedup_vs_eager)`, the log capped at
  `log2(max_speedup)` and the total kept at or above `min_correct`: a correct kernel always beats a wrong
  one, each doubling of speed adds the same amount, and a speedup past the cap (or a quarantined,
  implausible one, which the verifier rejects) earns nothing more. Where no speed is measured (CPU, under
  the Triton interpreter) an accepted kernel gets `correct`.

Several workloads (issue 16): a row's `workloads` (the problem at other sizes, which its prompt does not show)
are checked too, so a kernel fixed to the prompt's shapes is rejected (`shape_specialised`, reward 0); where
speed is measured, the speedup that shapes the reward is the geometric mean over every workload
(`speedup_geomean`). A row without `workloads` is judged on its one problem, as before.

TRL (GRPO): `GRPOTrainer(..., reward_funcs=[kerneldata.reward.grpo_reward], train_dataset=rl)` with the
`rl` config; TRL passes the row's columns (`reference_code`, `dtype`, `atol`, `rtol`, `family`, `shapes`,
`input_domains`, `workloads`)
as keyword lists beside `completions`, in the standard or the conversational format. Use
`make_grpo_reward(device=..., ...)` for other settings.

veRL: point `custom_reward_function.path` at this file and `custom_reward_function.name` at
`compute_score`; put a JSON object of the row's `reference_code`, `dtype`, `atol`, `rtol` (and
optionally `family`, `shapes`, `input_domains`, `workloads`) in `reward_model.ground_truth` (`verl_ground_truth(row)` makes it), or the
bare reference source with the rest in `extra_info`.

Cost: one sandboxed verification per completion (a forked child; seconds on CPU, well under one on GPU).
A `Runtime` per device is kept for the life of the process so children fork from a warm zygote.
"""

from __future__ import annotations

import atexit
import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from kerneldata.core.config import VerifyConfig
from kerneldata.core.outcomes import Status
from generators.extract import extract_code
from filters.verifier.judge import judge_row, options_from_config
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime


@dataclass(frozen=True, kw_only=True)
class RewardConfig:
    correct: float = 1.0
    speed_weight: float = 0.5
    max_speedup: float = 16.0
    min_correct: float = 0.1


@dataclass(frozen=True)
class RewardResult:
    reward: float
    status: str  # accepted / rejected / unverified, or rejected with reason_code no_code
    reason_code: str
    reason: str
    speedup_vs_eager: float | None  # with several workloads, the geometric mean over them (speedup_geomean)

    def to_json(self) -> dict:
        return {"reward": self.reward, "status": self.status, "reason_code": self.reason_code,
                "reason": self.reason, "speedup_vs_eager": self.speedup_vs_eager}


def shaped(speedup: float | None, config: RewardConfig = RewardConfig()) -> float:
    """The reward of an accepted kernel with this speedup over eager (None: not measured)."""
    if speedup is None or not math.isfinite(speedup) or speedup <= 0:
        return config.correct
    gain = min(math.log2(speedup), math.log2(config.max_speedup))
    return max(config.min_correct, config.correct + config.speed_weight * gain)


_RUNTIMES: dict[str, Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def _runtime(device: str) -> Runtime:
    with _RUNTIMES_LOCK:
        if device not in _RUNTIMES:
            _RUNTIMES[device] = Runtime(device)
        return _RUNTIMES[device]


@atexit.register
def _close_runtimes() -> None:
    for runtime in _RUNTIMES.values():
        runtime.close()
    _RUNTIMES.clear()


def _completion_text(completion) -> str:
    """The text of a completion: a string, or (conversational) the last assistant message's content."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, Mapping):
        return str(completion.get("content", ""))
    messages = [m for m in completion or [] if isinstance(m, Mapping)]
    assistant = [m for m in messages if m.get("role") == "assistant"] or messages
    return str(assistant[-1].get("content", "")) if assistant else ""


def score(completion, row: Mapping, *, device: str = "auto", options: VerifyOptions | None = None,
          runtime: Runtime | None = None, config: RewardConfig = RewardConfig()) -> RewardResult:
    """Score one completion for one rl row (needs `reference_code`; `dtype`, `atol`, `rtol` are read from
    the problem when missing; `family`, `shapes` and `input_domains` are used as the dataset's verifier uses
    them: `filters.verifier.judge.judge_row`). `options` default to the `verify` config section's defaults
    on `device`."""
    code, extracted = extract_code(_completion_text(completion))
    if code is None:
        return RewardResult(0.0, Status.REJECTED.value, "no_code",
                            f"no candidate code in the completion ({extracted}).", None)
    if options is None:
        options = options_from_config(VerifyConfig(device=device))
    if runtime is None:
        runtime = _runtime(options.device)
    verdict = judge_row({**row, "code": code}, options=options, runtime=runtime)
    # With several workloads the speed that counts is the geometric mean over all of them (None: one workload).
    speedup = verdict.speedup_geomean if verdict.speedup_geomean is not None else verdict.speedup_vs_eager
    reward = shaped(speedup, config) if verdict.status is Status.ACCEPTED else 0.0
    return RewardResult(reward, verdict.status.value, verdict.reason_code.value, verdict.reason, speedup)


def make_grpo_reward(*, device: str = "auto", options: VerifyOptions | None = None,
                     config: RewardConfig = RewardConfig()):
    """A TRL reward function: `f(completions, reference_code, dtype=None, atol=None, rtol=None, **kw)`."""
    def kernel_reward(completions, reference_code, dtype=None, atol=None, rtol=None, family=None, shapes=None,
                      input_domains=None, workloads=None, **_):
        rewards = []
        for i, completion in enumerate(completions):
            row = {"reference_code": reference_code[i],
                   "dtype": dtype[i] if dtype else None, "atol": atol[i] if atol else None,
                   "rtol": rtol[i] if rtol else None, "family": family[i] if family else None,
                   "shapes": shapes[i] if shapes else None,
                   "input_domains": input_domains[i] if input_domains else None,
                   "workloads": workloads[i] if workloads else None}
            rewards.append(score(completion, row, device=device, options=options, config=config).reward)
        return rewards

    kernel_reward.__name__ = "kernel_reward"
    return kernel_reward


grpo_reward = make_grpo_reward()


# What the verifier reads of an rl row (filters.verifier.judge.judge_row).
_GROUND_TRUTH_KEYS = ("reference_code", "dtype", "atol", "rtol", "family", "shapes", "input_domains", "workloads")


def _plain(value):
    """A column value as JSON can hold it (Arrow and datasets hand numpy arrays for list columns)."""
    return value.tolist() if hasattr(value, "tolist") else value


def verl_ground_truth(row: Mapping) -> str:
    """The `reward_model.ground_truth` string for an rl row (what `compute_score` reads back)."""
    return json.dumps({key: _plain(row.get(key)) for key in _GROUND_TRUTH_KEYS})


def compute_score(data_source, solution_str, ground_truth, extra_info=None) -> float:
    """veRL's custom reward function signature."""
    row: dict = {}
    if isinstance(ground_truth, str):
        try:
            parsed = json.loads(ground_truth)
        except json.JSONDecodeError:
            parsed = None
        row = dict(parsed) if isinstance(parsed, dict) else {"reference_code": ground_truth}
    elif isinstance(ground_truth, Mapping):
        row = dict(ground_truth)
    for key, value in (extra_info or {}).items():
        row.setdefault(key, value)
    return score(solution_str, row).reward
