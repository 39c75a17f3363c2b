"""The verifier's share of a multi-GPU run: one actor per GPU at most, each judging `verify.workers_per_gpu`
candidates at once in the pipeline's verifier pool (kerneldata.workers). The Ray test runs on CPU: the
concurrency it checks is the actors' threads, which do not depend on a GPU."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from kerneldata.core.config import load_config
from kerneldata.pipeline import PipelineError, _verify_workers
from kerneldata.workers import Faults, VerifierPool
from tests.pipeline.scripted_workers import ScriptedStage, candidate


def cluster(gpus: int, cpus: int = 8) -> SimpleNamespace:
    return SimpleNamespace(cluster_resources=lambda: {"GPU": gpus, "CPU": cpus})


def test_a_gpu_verifier_is_at_most_one_actor_per_gpu():
    config = load_config(None, ["verify.device=cuda", "verify.workers=3"])
    with pytest.raises(PipelineError, match="verify.workers is 3 but the Ray cluster has 2 GPUs for the verifier"):
        _verify_workers(config, cluster(2))
    assert _verify_workers(config, cluster(4)) == 3  # fewer actors than GPUs leaves some GPUs free
    # on CPU the count is the user's to choose
    assert _verify_workers(load_config(None, ["verify.device=cpu", "verify.workers=3"]), cluster(2)) == 3


def test_workers_per_gpu_is_checked_at_load_time():
    assert load_config(None).verify.workers_per_gpu == 4
    with pytest.raises(ValueError, match="verify.workers_per_gpu"):
        load_config(None, ["verify.workers_per_gpu=0"])


@pytest.mark.slow
def test_each_verifier_actor_fills_every_slot():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    try:
        pool = VerifierPool(ray, load_config(None, ["verify.device=cpu"]).verify, workers=1, gpu_share=0, calls=3,
                            faults=Faults(), cancelled=threading.Event(), stage=ScriptedStage)
        rows = [candidate("overlap", i) for i in range(6)]
        seen: list[dict] = []
        judged = pool.verify(rows, on_judged=seen.extend)
    finally:
        ray.shutdown()
    assert sorted(row["candidate_id"] for row in judged) == sorted(row["candidate_id"] for row in rows)
    assert seen == judged
    assert max(int(row["reason"].split()[0]) for row in judged) == 3  # three calls at once in the one actor
