"""The pipeline's GPU arithmetic when the teacher holds GPUs itself (a vLLM engine): the verifier gets the rest."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kerneldata.core.config import load_config
from kerneldata.pipeline import PipelineError, _verify_workers


def cluster(gpus: int, cpus: int = 8) -> SimpleNamespace:
    return SimpleNamespace(cluster_resources=lambda: {"GPU": gpus, "CPU": cpus})


def config(*overrides: str):
    return load_config("configs/vllm.yaml", list(overrides))


def test_verifier_workers_take_the_gpus_the_teacher_leaves():
    assert _verify_workers(config("teacher.vllm.tensor_parallel_size=2"), cluster(8)) == 6
    assert _verify_workers(config("teacher.kind=builtin"), cluster(8)) == 8
    # no GPU left: with device auto the verifier falls back to one worker per CPU
    assert _verify_workers(config("teacher.vllm.tensor_parallel_size=1"), cluster(1)) == 8


@pytest.mark.parametrize(("overrides", "gpus", "message"), [
    (("teacher.vllm.tensor_parallel_size=4",), 2, "the vllm teacher needs 4 GPUs but the Ray cluster has 2"),
    (("verify.device=cuda",), 1, "verify.device is 'cuda' but the Ray cluster has no GPU left for the verifier"),
])
def test_too_few_gpus_is_one_line(overrides, gpus, message):
    with pytest.raises(PipelineError, match=message):
        _verify_workers(config(*overrides), cluster(gpus))
