"""The pipeline's GPU arithmetic when the teacher holds GPUs itself (a vLLM engine, or a share of one for the
inductor teacher): the verifier gets the rest."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kerneldata.core.config import load_config
from kerneldata.pipeline import PipelineError, _verifier_gpu_share, _verify_workers


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


def test_the_inductor_teacher_shares_a_gpu_with_a_verifier_worker():
    gpu = load_config("configs/gpu.yaml")
    # One GPU: one verifier worker takes what the teacher's quarter leaves.
    assert _verify_workers(gpu, cluster(1)) == 1 and _verifier_gpu_share(gpu) == 0.75
    # Eight: a worker per GPU, each taking 0.75, so the teacher's quarter fits beside any of them.
    assert _verify_workers(gpu, cluster(8)) == 8
    # Whole GPUs stay whole: a vLLM engine's, or none at all.
    assert _verifier_gpu_share(config()) == 1 and _verifier_gpu_share(config("teacher.kind=builtin")) == 1
    with pytest.raises(PipelineError, match="the builtin\\+inductor teacher needs 0.25 GPUs but the Ray cluster has 0"):
        _verify_workers(gpu, cluster(0))
