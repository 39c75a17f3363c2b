"""Composes the stages on Ray; the only place that knows their order.

    specs (sampled and checked on the driver) -> TeacherStage (candidates) -> VerifyStage (verdicts) -> parts on disk
    -> filters.dedup, filters.decontaminate (global steps on the driver: annotate raw, drop nothing)
    -> shards.RunWriter.finalize (raw / sft / rl / preference shards, card, manifest last)

With `refine.max_turns > 0` the teacher -> verify pass is the refinement loop (generators.refine) instead:
the specs are cut into batches of `refine.specs_per_batch`; each batch's loop runs in a driver thread,
asks one teacher actor for every round's answers and judges them on a shared pool of VerifyStage actors,
each candidate going to the next idle actor. A few batches run at once, so one batch's teacher call and turn
boundary overlap another's verification.

Ray: joins the cluster named by `ray.address` or `RAY_ADDRESS` when either is set, else starts a local
instance (the embedded default), so the same command runs on a laptop and under `ray job submit`.
Verified batches are written to the run directory as they arrive, so a crash loses at most the batches in
flight and `--resume` skips every candidate already judged; a resumed refinement replays its loops from
the recorded verdicts (see generators.refine). The manifest is written last: a run directory without one
is not complete.

Only the driver writes the run directory (Ray workers hand their verdicts back to it), so the directory
needs to be reachable from the driver alone: a local path, or a URI such as s3://bucket/run (see
shards.location) that any node the driver may run on can reach.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import Counter, deque
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
import pyarrow as pa
import pyarrow.compute as pc

from kerneldata.core.config import Config, TeacherConfig, VerifyConfig
from kerneldata.core.schema import CANDIDATE_SCHEMA, RAW_SCHEMA, SPEC_SCHEMA, table_from_rows
from generators.refine import RefineLoop
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.teachers import TeacherStage, make_teacher
from filters.curate import curate
from filters.decontaminate import BenchmarkError, BenchmarkIndex, load_benchmarks
from filters.stage import VerifyStage
from shards.writer import RunWriter


class PipelineError(RuntimeError):
    """The run cannot start as configured (one line for the user)."""


def run(config: Config, *, out_dir: str | os.PathLike | None = None, resume: bool = False,
        progress: bool = True) -> str:
    """Run the whole pipeline; return the completed run directory (a local path or URI, as given)."""
    out_dir = os.fspath(out_dir) if out_dir is not None else config.out_dir()
    writer = RunWriter.create(out_dir, resume=resume, rows_per_shard=config.shards.rows_per_shard,
                              target_shard_bytes=config.shards.target_shard_bytes)
    if writer.complete:
        return out_dir

    # Everything that can be wrong with the config fails here, on the driver, before Ray starts.
    sampler = SpecSampler(config.specs, config.run.seed)
    teacher = make_teacher(config.teacher, config.run.seed)
    if config.refine.max_turns > 0 and not teacher.can_refine:
        raise PipelineError(f"refine.max_turns is {config.refine.max_turns} but the {teacher.name} teacher cannot "
                            f"refine candidates; set refine.max_turns=0")
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
    extra: dict = {}
    ray = _init_ray(config)
    try:
        workers = _verify_workers(config, ray)
        gpu = config.verify.device == "cuda" or (config.verify.device == "auto" and _verifier_gpus(config, ray) > 0)
        # Candidates each verifier actor judges at once: one GPU's share, or one on a CPU.
        calls = config.verify.workers_per_gpu if gpu else 1
        if config.refine.max_turns > 0:
            extra["refinement"] = _refine(config, ray, writer, spec_table.to_pylist(), workers=workers, gpu=gpu,
                                          calls=calls, progress=progress)
        else:
            _generate_and_verify(config, ray, writer, spec_table, workers=workers, gpu=gpu, calls=calls,
                                 progress=progress)
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
         "verify_calls_per_worker": calls,
         "ray": "cluster" if _joined_cluster(config) else "local", "degenerate_specs": degenerate, **extra},
        raw=raw,
    )
    return out_dir


def _generate_and_verify(config: Config, ray, writer: RunWriter, spec_table: pa.Table, *, workers: int, gpu: bool,
                         calls: int, progress: bool) -> None:
    """One answer per sample: TeacherStage then VerifyStage on Ray Data, parts written as batches arrive."""
    done = writer.done_candidate_ids()
    dataset = ray.data.from_arrow([spec_table.slice(i, 1) for i in range(spec_table.num_rows)])
    dataset = dataset.map_batches(
        TeacherStage,
        fn_constructor_kwargs={"config": config.teacher, "seed": config.run.seed},
        batch_format="pyarrow",
        batch_size=None,
        compute=ray.data.ActorPoolStrategy(size=1),
        num_cpus=TeacherStage.num_cpus,
        num_gpus=config.teacher.num_gpus(),  # a vLLM engine's GPUs, a share of one for inductor, else none
    )
    if done:
        done_ids = pa.array(sorted(done), pa.string())
        dataset = dataset.map_batches(
            lambda batch: batch.filter(pc.invert(pc.is_in(batch["candidate_id"], value_set=done_ids))),
            batch_format="pyarrow",
            batch_size=None,
        )
    dataset = dataset.map_batches(
        VerifyStage,
        fn_constructor_kwargs={"config": config.verify},
        batch_format="pyarrow",
        batch_size=1,
        compute=_verifier_compute(ray, workers=workers, calls=calls),
        num_cpus=VerifyStage.num_cpus,
        num_gpus=_verifier_gpu_share(config) if gpu else 0,
    )
    total = spec_table.num_rows * config.teacher.rows_per_spec()
    with _Progress(enabled=progress, total=total, completed=len(done)) as bar:
        for batch in dataset.iter_batches(batch_format="pyarrow", batch_size=None):
            if batch.num_rows:
                writer.write_part(batch)
                bar.advance(batch.num_rows, batch)


def _refine(config: Config, ray, writer: RunWriter, spec_rows: list[dict], *, workers: int, gpu: bool, calls: int,
            progress: bool) -> dict:
    """The refinement loop over batches of specs (see the module docstring); returns the manifest's
    `refinement` entry. Each judged candidate is checkpointed as it arrives; on resume the recorded rows
    stand in for verification (`RefineLoop.run(judged=...)`)."""
    judged = {row["candidate_id"]: row for row in writer.read_parts().to_pylist()}
    size = config.refine.specs_per_batch
    batches = [spec_rows[start:start + size] for start in range(0, len(spec_rows), size)]
    teacher = _RemoteTeacher(ray, config.teacher, config.run.seed)
    pool = _VerifierPool(ray, config.verify, workers=workers, gpu_share=_verifier_gpu_share(config) if gpu else 0,
                         calls=calls)
    cancelled = threading.Event()
    checkpoint = threading.Lock()
    with _Progress(enabled=progress, total=None, completed=len(judged)) as bar:
        def record(rows: list[dict]) -> None:
            table = table_from_rows(rows, RAW_SCHEMA)
            with checkpoint:
                writer.write_part(table)
                bar.advance(table.num_rows, table)

        def verify(rows: list[dict]) -> list[dict]:
            return pool.verify(rows, on_judged=record, cancelled=cancelled)

        loop = RefineLoop(teacher, verify, config.refine)
        threads = ThreadPoolExecutor(max_workers=max(1, min(len(batches), max(2, workers))))
        futures = [threads.submit(loop.run, batch, judged=judged) for batch in batches]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((future.exception() for future in done if future.exception()), None)
            if failed is not None:
                raise failed
            results = [future.result() for future in futures]
        finally:
            cancelled.set()  # loops still running stop at their next verification
            threads.shutdown(wait=True, cancel_futures=True)
    stopped = Counter(reason for result in results for reason in result.stopped.values())
    return {"max_turns": config.refine.max_turns, "specs_stopped": dict(sorted(stopped.items()))}


class _TeacherActor:
    """The teacher in a Ray actor (where an engine teacher keeps its model): the loop's teacher calls."""

    def __init__(self, config: TeacherConfig, seed: int) -> None:
        self.teacher = make_teacher(config, seed)

    def name(self) -> str:
        return self.teacher.name

    def generate_batch(self, spec_rows: list[dict]) -> list[dict]:
        return self.teacher.generate_batch(spec_rows)

    def refine_batch(self, requests: list) -> list[dict]:
        return self.teacher.refine_batch(requests)


class _RemoteTeacher:
    """What the refinement loop calls a teacher, answered by one `_TeacherActor`. The actor takes one call
    at a time: an engine teacher need not be thread-safe, and an endpoint teacher sends a batch's requests
    concurrently within its call."""

    def __init__(self, ray, config: TeacherConfig, seed: int) -> None:
        self._ray = ray
        actor_class = ray.remote(num_cpus=TeacherStage.num_cpus, num_gpus=config.num_gpus())(_TeacherActor)
        self._actor = actor_class.remote(config, seed)
        self.name = ray.get(self._actor.name.remote())

    def generate_batch(self, spec_rows: list[dict]) -> list[dict]:
        return self._ray.get(self._actor.generate_batch.remote(spec_rows))

    def refine_batch(self, requests: list) -> list[dict]:
        return self._ray.get(self._actor.refine_batch.remote(requests))


class _VerifyActor:
    """One VerifyStage (its zygote and caches made once) judging candidate rows."""

    def __init__(self, config: VerifyConfig) -> None:
        self.stage = VerifyStage(config=config)

    def judge(self, rows: list[dict]) -> list[dict]:
        return self.stage(table_from_rows(rows, CANDIDATE_SCHEMA)).to_pylist()


class _LoopCancelled(RuntimeError):
    """Another refinement loop failed; this one stops instead of verifying more."""


class _VerifierPool:
    """VerifyStage actors shared by the refinement loops' threads. Each candidate goes to the next free
    slot of an actor (`calls` per actor, judged at once on the actor's threads), one candidate per slot, so
    a slow candidate holds up no other; `on_judged` gets each verdict as it arrives. The actors' CPUs are
    what the teacher actor leaves (on 2 cores, 0.95 each)."""

    def __init__(self, ray, config: VerifyConfig, *, workers: int, gpu_share: float, calls: int) -> None:
        self._ray = ray
        spare = float(ray.cluster_resources().get("CPU", workers)) - TeacherStage.num_cpus
        num_cpus = max(0.01, min(VerifyStage.num_cpus, spare / workers))
        actor_class = ray.remote(num_cpus=num_cpus, num_gpus=gpu_share, max_concurrency=calls)(_VerifyActor)
        self._idle: queue.Queue = queue.Queue()
        for _ in range(workers):
            actor = actor_class.remote(config)
            for _ in range(calls):
                self._idle.put(actor)

    def verify(self, rows: list[dict], *, on_judged, cancelled: threading.Event) -> list[dict]:
        todo, pending, judged = deque(rows), {}, []
        while todo or pending:
            while todo:
                if cancelled.is_set():
                    raise _LoopCancelled("another refinement loop failed")
                try:
                    actor = self._idle.get(block=not pending, timeout=1.0 if not pending else None)
                except queue.Empty:
                    break
                pending[actor.judge.remote([todo.popleft()])] = actor
            if not pending:
                continue
            ready, _ = self._ray.wait(list(pending), num_returns=1)
            for ref in ready:
                self._idle.put(pending.pop(ref))
                rows_judged = self._ray.get(ref)
                on_judged(rows_judged)
                judged.extend(rows_judged)
        return judged


def _verifier_compute(ray, *, workers: int, calls: int):
    """The Ray Data pool of `workers` VerifyStage actors, each running `calls` tasks at once on threads (the
    stage's Runtime is thread-safe: a sandboxed worker process per call, one call at a time timed on the
    GPU), and sent no more than it can run, so no task waits behind a busy actor while another has a free
    thread. One call per actor keeps Ray Data's defaults."""
    if calls == 1:
        return ray.data.ActorPoolStrategy(size=workers)
    return ray.data.ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=calls,
                                      max_concurrent_calls_per_actor=calls, enable_true_multi_threading=True)


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
    """The cluster's GPUs less those the teacher takes whole (a vLLM engine's); a GPU the teacher only takes a
    share of (the inductor teacher's) still counts: the verifier worker on it asks for the rest."""
    return _cluster_gpus(ray) - int(config.teacher.num_gpus())


def _verifier_gpu_share(config: Config) -> float:
    """The GPU each verifier worker asks Ray for: a whole one, or, when the teacher takes a fraction of one
    (configs/gpu.yaml: the inductor teacher's 0.25), what that leaves, so that one worker fits beside the
    teacher on its GPU (and one per GPU elsewhere: Ray places fractional shares on one GPU each)."""
    fraction = config.teacher.num_gpus() % 1
    return 1 - fraction if fraction else 1


def _verify_workers(config: Config, ray) -> int:
    if config.teacher.num_gpus() > _cluster_gpus(ray):
        raise PipelineError(f"the {'+'.join(config.teacher.kinds())} teacher needs {config.teacher.num_gpus()} GPUs "
                            f"but the Ray cluster has {_cluster_gpus(ray)}")
    if config.verify.device == "cuda" and _verifier_gpus(config, ray) <= 0:
        raise PipelineError("verify.device is 'cuda' but the Ray cluster has no GPU left for the verifier")
    gpus = _verifier_gpus(config, ray) if config.verify.device != "cpu" else 0
    if config.verify.workers:
        if 0 < gpus < config.verify.workers:
            # Each GPU verifier actor asks Ray for a whole GPU: more actors than GPUs would never start.
            raise PipelineError(f"verify.workers is {config.verify.workers} but the Ray cluster has {gpus} GPUs for "
                                f"the verifier (one actor per GPU); set verify.workers_per_gpu for more candidates "
                                f"at once on each")
        return config.verify.workers
    return max(1, gpus or int(ray.cluster_resources().get("CPU", 1)))


class _Progress:
    """A rich progress bar on stderr counting verdicts, or nothing when disabled."""

    def __init__(self, *, enabled: bool, total: int | None, completed: int) -> None:
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
