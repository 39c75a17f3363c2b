"""The verifier's share of a multi-GPU run: one actor per GPU at most, each judging `verify.workers_per_gpu`
candidates at once, through Ray Data (no refinement) and through the refinement loop's pool. The Ray tests
run on CPU: the concurrency they check is the actors' threads, which do not depend on a GPU."""

from __future__ import annotations

import sys
import threading
import time
from types import SimpleNamespace

import pyarrow as pa
import pytest

from kerneldata import pipeline
from kerneldata.core.config import load_config
from kerneldata.pipeline import PipelineError, _verifier_compute, _verify_workers


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


class _Slow:
    """Holds each call long enough for the next ones to overlap, and records how many were running when it
    started. `__call__` is the Ray Data stage's shape, `judge` the refinement pool actor's."""

    def __init__(self, config=None) -> None:
        self._lock = threading.Lock()
        self._running = 0

    def _enter(self) -> int:
        with self._lock:
            self._running += 1
            running = self._running
        time.sleep(1.0)
        with self._lock:
            self._running -= 1
        return running

    def __call__(self, batch: pa.Table) -> pa.Table:
        return batch.append_column("running", pa.array([self._enter()] * batch.num_rows, pa.int64()))

    def judge(self, rows: list[dict]) -> list[dict]:
        running = self._enter()
        return [{**row, "running": running} for row in rows]


@pytest.fixture(scope="module")
def ray_local():
    import ray
    from ray import cloudpickle

    # Ray's workers cannot import this test module by name: send its classes by value.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ray.init(num_cpus=2, include_dashboard=False, logging_level="WARNING")
    yield ray
    ray.shutdown()


@pytest.mark.slow
def test_each_ray_data_actor_runs_its_calls_at_once(ray_local):
    tables = [pa.table({"id": [i]}) for i in range(6)]  # one block per row, as the pipeline feeds specs
    dataset = ray_local.data.from_arrow(tables).map_batches(
        _Slow, batch_format="pyarrow", batch_size=1, num_cpus=0.5,
        compute=_verifier_compute(ray_local, workers=1, calls=3))
    rows = dataset.take_all()
    assert sorted(row["id"] for row in rows) == list(range(6))
    assert max(row["running"] for row in rows) == 3  # three calls overlapped in the one actor, never more


@pytest.mark.slow
def test_the_refinement_pool_fills_every_slot(ray_local, monkeypatch):
    monkeypatch.setattr(pipeline, "_VerifyActor", _Slow)
    pool = pipeline._VerifierPool(ray_local, load_config(None).verify, workers=1, gpu=False, calls=3)
    seen: list[dict] = []
    judged = pool.verify([{"candidate_id": str(i)} for i in range(6)], on_judged=seen.extend,
                         cancelled=threading.Event())
    assert sorted(row["candidate_id"] for row in judged) == [str(i) for i in range(6)]
    assert seen == judged
    assert max(row["running"] for row in judged) == 3
