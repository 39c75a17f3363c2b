"""Composes the stages on Ray; the only place that knows their order.

    specs (sampled and checked on the driver) -> TeacherStage (candidates) -> VerifyStage (verdicts) -> parts on disk
    -> filters.dedup, filters.decontaminate (global steps on the driver: annotate raw, drop nothing)
    -> shards.RunWriter.finalize (raw / sft / rl / preference shards, card, manifest last)

Ray: joins the cluster named by `ray.address` or `RAY_ADDRESS` when either is set, else starts a local
instance (the embedded default), so the same command runs on a laptop and under `ray job submit`.
Verified batches are written to the run directory as they arrive, so a crash loses at most the batches in
flight and `--resume` skips every candidate already judged. The manifest is written last: a run directory
without one is not complete.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from kerneldata.core.config import Config
from kerneldata.core.schema import SPEC_SCHEMA, table_from_rows
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.teachers import TeacherStage, make_teacher
from filters.curate import curate
from filters.decontaminate import BenchmarkError, BenchmarkIndex, load_benchmarks
from filters.stage import VerifyStage
from shards.writer import RunWriter


class PipelineError(RuntimeError):
    """The run cannot start as configured (one line for the user)."""


def run(config: Config, *, out_dir: Path | None = None, resume: bool = False, progress: bool = True) -> Path:
    """Run the whole pipeline; return the completed run directory."""
    out_dir = Path(out_dir) if out_dir is not None else config.out_dir()
    writer = RunWriter.create(out_dir, resume=resume, rows_per_shard=config.shards.rows_per_shard,
                              target_shard_bytes=config.shards.target_shard_bytes)
    if writer.complete:
        return out_dir

    # Everything that can be wrong with the config fails here, on the driver, before Ray starts.
    sampler = SpecSampler(config.specs, config.run.seed)
    make_teacher(config.teacher, config.run.seed)
    benchmarks = None
    if config.decontamination.benchmarks:
        try:
            benchmarks = BenchmarkIndex(load_benchmarks(config.decontamination.benchmarks), config.decontamination)
        except BenchmarkError as err:
            raise PipelineError(f"decontamination.benchmarks: {err}") from None
    started = time.monotonic()
    degenerate: dict[str, int] = {}
    if config.specs.check_references:
        # Degenerate specs (constant, near-zero, input-independent... output) are replaced before any
        # teacher sees them; the manifest counts them by reason.
        specs, rejected = sample_checked(sampler, config.specs.num_specs, seed=config.run.seed)
        for check in rejected:
            degenerate[check.reason.value] = degenerate.get(check.reason.value, 0) + 1
    else:
        specs = sampler.sample(config.specs.num_specs)
    spec_table = table_from_rows((spec.to_row() for spec in specs), SPEC_SCHEMA)

    timings = {"sample_s": round(time.monotonic() - started, 3)}
    ray = _init_ray(config)
    try:
        workers = _verify_workers(config, ray)
        done = writer.done_candidate_ids()
        dataset = ray.data.from_arrow([spec_table.slice(i, 1) for i in range(spec_table.num_rows)])
        dataset = dataset.map_batches(
            TeacherStage,
            fn_constructor_kwargs={"config": config.teacher, "seed": config.run.seed},
            batch_format="pyarrow",
            batch_size=None,
            compute=ray.data.ActorPoolStrategy(size=1),
            num_cpus=TeacherStage.num_cpus,
            num_gpus=config.teacher.num_gpus(),  # a vLLM engine's GPUs; none for the other teachers
        )
        if done:
            done_ids = pa.array(sorted(done), pa.string())
            dataset = dataset.map_batches(
                lambda batch: batch.filter(pc.invert(pc.is_in(batch["candidate_id"], value_set=done_ids))),
                batch_format="pyarrow",
                batch_size=None,
            )
        gpu = config.verify.device == "cuda" or (config.verify.device == "auto" and _verifier_gpus(config, ray) > 0)
        dataset = dataset.map_batches(
            VerifyStage,
            fn_constructor_kwargs={"config": config.verify},
            batch_format="pyarrow",
            batch_size=1,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=VerifyStage.num_cpus,
            num_gpus=1 if gpu else 0,
        )
        verified = len(done)
        total = len(specs) * config.teacher.samples_per_spec
        with _Progress(enabled=progress, total=total, completed=verified) as bar:
            for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
                if batch.num_rows:
                    writer.write_part(batch)
                    bar.advance(batch.num_rows, batch)
        timings["generate_and_verify_s"] = round(time.monotonic() - started - timings["sample_s"], 3)
    finally:
        if not _joined_cluster(config):
            ray.shutdown()

    curated = time.monotonic()
    raw = curate(writer.read_parts(), config.dedup, benchmarks)
    timings["dedup_and_decontaminate_s"] = round(time.monotonic() - curated, 3)
    writer.finalize(
        config.to_yaml(),
        {"run_name": config.run.name, "timings": timings, "verify_workers": workers,
         "ray": "cluster" if _joined_cluster(config) else "local", "degenerate_specs": degenerate},
        raw=raw,
    )
    return out_dir


def _joined_cluster(config: Config) -> bool:
    return bool(config.ray.address or os.environ.get("RAY_ADDRESS"))


def _init_ray(config: Config):
    import ray
    from ray.data import DataContext

    if not ray.is_initialized():
        if _joined_cluster(config):
            ray.init(address=config.ray.address or os.environ["RAY_ADDRESS"], logging_level="WARNING")
        else:
            ray.init(num_cpus=config.ray.num_cpus, include_dashboard=False, logging_level="WARNING",
                     log_to_driver=True, configure_logging=True)
    context = DataContext.get_current()
    context.enable_progress_bars = False  # our own progress bar, on stderr
    context.print_on_execution_start = False
    return ray


def _cluster_gpus(ray) -> int:
    return int(ray.cluster_resources().get("GPU", 0))


def _verifier_gpus(config: Config, ray) -> int:
    """The cluster's GPUs less those the teacher takes (a vLLM engine's)."""
    return _cluster_gpus(ray) - config.teacher.num_gpus()


def _verify_workers(config: Config, ray) -> int:
    if config.teacher.num_gpus() > _cluster_gpus(ray):
        raise PipelineError(f"the {config.teacher.kind} teacher needs {config.teacher.num_gpus()} GPUs but the Ray "
                            f"cluster has {_cluster_gpus(ray)}")
    if config.verify.device == "cuda" and _verifier_gpus(config, ray) <= 0:
        raise PipelineError("verify.device is 'cuda' but the Ray cluster has no GPU left for the verifier")
    if config.verify.workers:
        return config.verify.workers
    gpus = _verifier_gpus(config, ray) if config.verify.device != "cpu" else 0
    return max(1, gpus or int(ray.cluster_resources().get("CPU", 1)))


class _Progress:
    """A rich progress bar on stderr counting verdicts, or nothing when disabled."""

    def __init__(self, *, enabled: bool, total: int, completed: int) -> None:
        self.enabled = enabled
        self.total = total
        self.completed = completed
        self.accepted = 0

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("verifying"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[accepted]} accepted"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
            self._bar.__enter__()
            self._task = self._bar.add_task("verify", total=self.total, completed=self.completed, accepted=0)
        return self

    def advance(self, rows: int, batch: pa.Table) -> None:
        self.accepted += int(pc.sum(pc.equal(batch["status"], "accepted")).as_py() or 0)
        if self.enabled:
            self._bar.update(self._task, advance=rows, accepted=self.accepted)

    def __exit__(self, *exc) -> None:
        if self.enabled:
            self._bar.__exit__(*exc)
