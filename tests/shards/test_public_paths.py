"""How a run names local paths in its card and in what `publish` uploads: a local path by its last component,
anything else as written."""

from __future__ import annotations

import pytest

from shards.public_paths import public_name, without_local_paths


@pytest.mark.parametrize(("value", "shown"), [
    ("/home/alice/KernelBench/level1", "level1"),       # absolute: the parents go
    ("/home/alice/KernelBench/level1/", "level1"),
    ("/data/bench/problems.jsonl", "problems.jsonl"),
    ("~/bench/kernelbench_mini", "kernelbench_mini"),
    ("./KernelBench/level1", "level1"),
    ("../../alice/level2", "level2"),
    ("file:///home/alice/run", "run"),
    ("C:\\Users\\alice\\KernelBench", "KernelBench"),
    ("\\\\server\\share\\bench", "bench"),
    ("ScalingIntelligence/KernelBench", "ScalingIntelligence/KernelBench"),  # a Hub id
    ("KernelBench/level1", "KernelBench/level1"),     # relative: names nothing above the working directory
    ("kernelbench_mini", "kernelbench_mini"),
    ("s3://bucket/runs/quickstart", "s3://bucket/runs/quickstart"),
    ("http://localhost:8000/v1", "http://localhost:8000/v1"),
    ("{run_dir}/cache/teacher", "{run_dir}/cache/teacher"),
    ("hf:org/problems", "hf:org/problems"),
    ("default", "default"),
    ("</s>", "</s>"),  # a stop string, not a path
    ("/", "/"),
])
def test_a_local_path_is_shown_by_its_last_component(value, shown):
    assert public_name(value) == shown


def test_every_string_of_a_config_is_cleaned_and_nothing_else_changes():
    config = {"run": {"name": "r", "out": "/home/alice/runs/r", "seed": 3},
              "decontamination": {"benchmarks": ["/home/alice/kb/level1", "org/bench"], "spec_level": True},
              "teacher": {"cache": None, "vllm": {"model": "/models/qwen3-8b"}}}
    assert without_local_paths(config) == {
        "run": {"name": "r", "out": "r", "seed": 3},
        "decontamination": {"benchmarks": ["level1", "org/bench"], "spec_level": True},
        "teacher": {"cache": None, "vllm": {"model": "qwen3-8b"}}}
