"""Composes the stages on Ray; the only place that knows their order.

    specs (sampled and checked on the driver) -> teacher (first answers) -> verifier (verdicts)
      [-> with refine.max_turns > 0: feedback -> teacher (refinements) -> verifier, for a few rounds]
    -> parts on disk as verdicts arrive
    -> filters.dedup, filters.decontaminate (global steps on the driver: annotate raw, drop nothing)
    -> shards.RunWriter.finalize (raw / sft / rl / preference shards, card, manifest last)

Orchestration. The specs are cut into batches of `refine.specs_per_batch`; each batch is one run of the
refinement loop (generators.refine; with max_turns 0 it is one pass: first answers, then their verdicts) in
a driver thread. The teacher lives in one Ray actor and the verifier in a pool of actors that takes each
candidate as a worker comes free (kerneldata.workers, which also retries and replaces failed workers).
At most `refine.batches_in_flight` batches run at once, and a batch is handed out only when one finishes,
so the driver holds the rows of those batches and no others (backpressure: memory stays flat however many
specs a run has); one batch's teacher call overlaps another's verification.

Crash safety. Judged candidates are buffered and checkpointed as parts (`RunWriter.write_part`) every
`PART_ROWS` rows or `PART_SECONDS` seconds, so a crash (SIGKILL included) loses at most that much verified
work; with a model teacher also before each round's teacher call, whose feedback quotes those verdicts (a
verdict judged again would quote other measured errors and make another, uncached, request). `--resume` replays each batch's loop from the checkpointed verdicts (`RefineLoop.run(judged=...)`):
a candidate judged before is not judged again, and with a deterministic teacher (builtin) or the teacher
cache (the same answers again, for free) the resumed run ends with exactly the rows of an uninterrupted
one. The manifest is written last: a run directory without one is not complete. Each session (a start or a
resume) checkpoints its counters (faults by kind, teacher cache hits, tokens) beside the parts; the
manifest sums them.

Ctrl-C (or SIGTERM through the CLI: Ray's own SIGTERM handler, which `ray.init` installs, is replaced by
the one there was before) stops the loops, writes what was judged, leaves no manifest and raises
`Interrupted`.

Before anything is written (issue 18): the config is checked (a bad one leaves no `--out` directory behind), a
complete run directory is refused (`AlreadyComplete`), a resume whose config differs from the run's in a key
that changes rows is refused (`ConfigChanged`, naming the keys; `force` accepts it), and an endpoint teacher's
endpoint is asked for its models (`TeacherUnreachable` when it cannot answer after the configured retries).
The resolved config (with the `run.out` used) goes to run_config.yaml at the start, so a resume can compare.
A session in which every teacher call failed checkpoints none of those failures and raises `TeacherFailed`:
the run is not complete, and `--resume` asks the teacher again.

Logs: the driver's in RUN_DIR/logs/run.log (start-up phases included), each worker's beside it where the worker
can reach the run directory (workers on other nodes log to Ray's own logs).

Only the driver writes the run directory (Ray workers hand their verdicts back to it), so the directory
needs to be reachable from the driver alone: a local path, or a URI such as s3://bucket/run (see
shards.location) that any node the driver may run on can reach. The logs and the teacher cache need a
local disk: for a run directory elsewhere they go to a local directory standing for it
(`local_run_dir`: ~/.cache/kerneldata/runs/<the URI's id>, or under $KERNELDATA_STATE), so a resume from
the same machine finds its cache again.

Ray: joins the cluster named by `ray.address` or `RAY_ADDRESS` when either is set, else starts a local
instance (the embedded default), so the same command runs on a laptop and under `ray job submit`.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from kerneldata.core.config import Config, ConfigError, config_from_yaml
from kerneldata.core.hashing import stable_id
from kerneldata.core.outcomes import Reason
from kerneldata.core.schema import RAW_SCHEMA, SPEC_SCHEMA, table_from_rows
from kerneldata.progress import RunProgress
from kerneldata.workers import LOGGERS, Faults, RemoteTeacher, VerifierPool, WorkersFailed  # noqa: F401 (the CLI catches it here)
from generators.refine import RefineLoop
from generators.specs import SpecSampler
from generators.specs.degenerate import sample_checked
from generators.specs.workloads.sampling import WorkloadSampler
from generators.prompts import Prompter
from generators.specs.stats import coverage
from generators.teachers import make_teacher
from generators.teachers.openai import EndpointError, OpenAITeacher
from filters.curate import curate
from filters.verifier.isolation import outer_layers
from filters.verifier.judge import require_isolation
from filters.decontaminate import BenchmarkError, BenchmarkIndex, load_benchmarks
from shards.location import RunLocation
from shards.writer import MANIFEST, RUN_CONFIG, RunDirError, RunWriter

log = logging.getLogger(__name__)

# Checkpoint judged candidates every this many rows or seconds, whichever comes first: what a crash can lose.
PART_ROWS = 256
PART_SECONDS = 10.0
LOG_DIR = "logs"
# A test hook (tests/pipeline/test_resume_exact.py): once this many candidates are judged in a session, the
# driver SIGKILLs its process group (itself, its local Ray instance, every worker), as `kill -9` of a shell's
# job does: a crash at a chosen point between checkpoints, which polling from outside catches too late.
KILL_AFTER_JUDGED_ENV = "KERNELDATA_TEST_KILL_AFTER_JUDGED"


class PipelineError(RuntimeError):
    """The run cannot start or go on as configured (one line for the user)."""


class AlreadyComplete(PipelineError):
    """The run directory holds a complete run (its manifest): nothing to do, or nothing to do there."""

    def __init__(self, run_dir: str) -> None:
        super().__init__(f"{run_dir} is already a complete run ({MANIFEST} exists); to start anew, choose another "
                         f"--out or remove {run_dir}")
        self.run_dir = run_dir


class ConfigChanged(PipelineError):
    """`--resume` with a config that would make other rows than the run's own (without `force`)."""


class TeacherUnreachable(RuntimeError):
    """The teacher's endpoint did not answer before the run started (one line naming the URL and the error)."""


class TeacherFailed(RuntimeError):
    """Every teacher call of a session failed: the run is not complete, and `--resume` asks again."""


class Interrupted(Exception):
    """The run was stopped (Ctrl-C); what was judged is checkpointed and `--resume` continues it."""

    def __init__(self, run_dir: str, checkpointed: int) -> None:
        super().__init__(f"interrupted; {checkpointed} judged candidates are checkpointed in {run_dir}")
        self.run_dir = run_dir
        self.checkpointed = checkpointed


def run(config: Config, *, out_dir: str | os.PathLike | None = None, resume: bool = False,
        progress: bool = True, force: bool = False) -> str:
    """Run the whole pipeline; return the completed run directory (a local path or URI, as given).
    `progress`: a live display on a terminal and the summary table at the end (both on stderr). `force`: resume
    even when the config changed in keys that change rows (see `rows_changed_by`)."""
    out_dir = os.fspath(out_dir) if out_dir is not None else config.out_dir()
    # run_config.yaml records the directory actually written, whether it came from run.out or --out.
    config = config.model_copy(update={"run": config.run.model_copy(update={"out": out_dir})})

    # Everything that can be wrong with the config fails here, on the driver, before Ray starts and before the
    # run directory is made; but for a missing GPU: making a teacher touches no device (the driver of a cluster
    # often has none), and the inductor teacher's need of one is checked in the teacher's worker
    # (`Teacher.check_device`).
    sampler, _, benchmarks = check_config(config)
    _check_run_dir(config, out_dir, resume=resume, force=force)
    _check_endpoint(config, progress=progress)
    writer = RunWriter.create(out_dir, resume=resume, rows_per_shard=config.shards.rows_per_shard,
                              target_shard_bytes=config.shards.target_shard_bytes)
    if writer.complete:  # made complete since `_check_run_dir` looked (another process)
        raise AlreadyComplete(out_dir)

    # This session's counters, empty for now, mark the directory as a run in progress before anything else
    # (the logs) goes beside it: a run stopped from here on is one `--resume` recognises. The config beside
    # them is what a later `--resume` compares its own with.
    session_id = f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    writer.write_counters(session_id, {})
    writer.location.write_text(RUN_CONFIG, config.to_yaml())  # after a forced resume, the config it goes on with
    local_dir = local_run_dir(writer)
    logging_state = _log_to_file(local_dir / LOG_DIR / "run.log")
    try:
        log.info("run %s in %s (%s)", config.run.name, out_dir, "resumed" if resume else "started")
        started = time.monotonic()
        phase = _Phases(progress)
        phase(f"sampling {config.specs.num_specs} specs"
              + (" and running their references on CPU" if config.specs.check_references else ""))
        unchecked: list = []
        specs, degenerate = draw_specs(config, sampler, unchecked)
        spec_rows = table_from_rows((spec.to_row() for spec in specs), SPEC_SCHEMA).to_pylist()

        timings = {"sample_s": round(time.monotonic() - started, 3)}
        phase("joining the Ray cluster" if _joined_cluster(config) else "starting a local Ray instance")
        ray = _init_ray(config)
        try:
            workers = _verify_workers(config, ray)
            gpu = config.verify.device == "cuda" or (config.verify.device == "auto" and _verifier_gpus(config, ray) > 0)
            # Candidates each verifier actor judges at once: one GPU's share, or one on a CPU.
            calls = config.verify.workers_per_gpu if gpu else 1
            phase(f"starting the {'+'.join(config.teacher.kinds())} teacher and {workers} verifier workers")
            session = _Session(config, ray, writer, local_dir, session_id, workers=workers, gpu=gpu, calls=calls,
                               progress=progress)
            extra = session.run(spec_rows)
            timings["generate_and_verify_s"] = round(time.monotonic() - started - timings["sample_s"], 3)
        finally:
            if not _joined_cluster(config):
                ray.shutdown()

        curated = time.monotonic()
        raw = curate(writer.read_parts(), config.dedup, benchmarks)
        timings["dedup_and_decontaminate_s"] = round(time.monotonic() - curated, 3)
        counters = writer.read_counters()
        # The builtin and inductor teachers are free and deterministic: they have no cache.
        model_teacher = bool({"openai", "vllm"} & set(config.teacher.kinds()))
        cache_dir = config.teacher.for_run(local_dir).cache_dir() if model_teacher else None
        teacher_counts = counters.get("teacher", {})
        manifest = writer.finalize(
            config.to_yaml(),
            {"run_name": config.run.name, "timings": timings, "verify_workers": workers,
             "verify_calls_per_worker": calls,
             "ray": "cluster" if _joined_cluster(config) else "local", "degenerate_specs": degenerate,
             "unchecked_specs": [{"spec_id": c.spec_id, "why": c.detail} for c in unchecked],
             "faults": counters.get("faults", {}), "sessions": counters["sessions"],
             "teacher_cache": {"dir": str(cache_dir) if cache_dir else None,
                               "hits": teacher_counts.get("cache_hits", 0),
                               "misses": teacher_counts.get("cache_misses", 0)},
             "teacher_completion_tokens": teacher_counts.get("completion_tokens", 0), **extra},
            raw=raw,
        )
        log.info("run complete: %s", manifest["counts"])
        return out_dir
    except KeyboardInterrupt:
        checkpointed = len(writer.done_candidate_ids())
        log.warning("interrupted; %d judged candidates checkpointed, no manifest written", checkpointed)
        raise Interrupted(out_dir, checkpointed) from None
    finally:
        _stop_logging(logging_state)


def draw_specs(config: Config, sampler, unchecked: list | None = None) -> tuple[list, dict[str, int]]:
    """The run's specs and, with `specs.check_references`, how many degenerate ones (constant, near-zero,
    input-independent... output) were replaced before any teacher saw them, by reason (the manifest's
    `degenerate_specs`). The verdicts on kept specs whose references were too big to run are appended to
    `unchecked` (the manifest's `unchecked_specs`) and logged, with how many were checked at a CPU-scaled twin."""
    if not config.specs.check_references:
        return sampler.sample(config.specs.num_specs), {}
    started = time.monotonic()
    not_run: list = []
    specs, rejected = sample_checked(sampler, config.specs.num_specs, seed=config.run.seed, unchecked=not_run)
    twins = sum(spec.spec_id in getattr(sampler, "twins", {}) for spec in specs)
    log.info("checked %d specs' references in %.1fs (%d at their CPU-scaled twin); %d kept unchecked%s",
             len(specs), time.monotonic() - started, twins, len(not_run),
             "".join(f"\n  {check.spec_id}: {check.detail}" for check in not_run))
    if unchecked is not None:
        unchecked += not_run
    degenerate: dict[str, int] = {}
    for check in rejected:
        degenerate[check.reason.value] = degenerate.get(check.reason.value, 0) + 1
    return specs, degenerate


def check_config(config: Config):
    """What can be wrong with the config, checked on the driver without Ray or a device; returns the spec
    sampler, the teacher and the benchmark index (None without benchmarks) it makes."""
    if config.specs.source == "workloads":
        sampler = WorkloadSampler(config.specs.workloads, config.run.seed,
                                  extra_workloads=config.specs.extra_workloads,
                                  min_eager_us=config.specs.min_eager_us, min_headroom=config.specs.min_headroom,
                                  device_profile=config.specs.device_profile)
    else:
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
    return sampler, teacher, benchmarks


# Config keys that decide how a run is carried out, not which rows it makes (a key, or a section ending in
# "."): a resume may change them. Every other key's change is refused on resume without `force`.
HOW_NOT_WHAT = ("run.out", "run.name", "ray.", "shards.", "verify.workers", "verify.workers_per_gpu",
                "verify.candidates_per_worker", "verify.max_attempts", "verify.call_timeout_s",
                "verify.require_isolation", "teacher.max_attempts", "teacher.call_timeout_s", "teacher.cache",
                "teacher.openai.base_url", "teacher.openai.api_key_env", "teacher.openai.max_concurrency",
                "teacher.openai.timeout_s", "teacher.openai.max_retries", "teacher.openai.backoff_base_s",
                "teacher.openai.backoff_cap_s", "teacher.openai.check_endpoint", "refine.batches_in_flight",
                "dedup.workers", "decontamination.workers")


def rows_changed_by(before: Config, after: Config) -> list[str]:
    """The dotted keys whose values differ between two configs, but for those in HOW_NOT_WHAT."""
    old, new = dict(_flat(before.model_dump(mode="json"))), dict(_flat(after.model_dump(mode="json")))
    changed = sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))
    return [key for key in changed
            if not any(key == how or (how.endswith(".") and key.startswith(how)) for how in HOW_NOT_WHAT)]


def _flat(values: dict, prefix: str = ""):
    for key, value in values.items():
        if isinstance(value, dict) and value and key not in ("extra_body", "family_weights", "sampling_kwargs",
                                                             "chat_template_kwargs", "engine_kwargs"):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _check_run_dir(config: Config, out_dir: str, *, resume: bool, force: bool) -> None:
    """A complete run is not started again; a resume with a config that changes rows is refused (without
    `force`). Problems opening the directory are left to `RunWriter.create`, which names them."""
    try:
        location = RunLocation.resolve(out_dir)
        complete = location.is_file(MANIFEST)
        earlier = location.read_text(RUN_CONFIG) if resume and location.is_file(RUN_CONFIG) else None
    except (OSError, RunDirError, ValueError):
        return
    if complete:
        raise AlreadyComplete(out_dir)
    if earlier is None:
        return
    try:
        before = config_from_yaml(earlier, location.uri(RUN_CONFIG))
    except ConfigError as err:
        raise PipelineError(f"cannot compare with the run's config: {err}") from None
    changed = rows_changed_by(before, config)
    if changed and not force:
        shown = ", ".join(f"{key} ({_value_at(before, key)!r} -> {_value_at(config, key)!r})" for key in changed[:6])
        more = f" and {len(changed) - 6} more" if len(changed) > 6 else ""
        raise ConfigChanged(f"--resume with a config that changes rows: {shown}{more}; resume with the run's own "
                            f"settings (its {RUN_CONFIG}), or pass --force to continue with these")
    if changed:
        log.warning("resuming with changed keys (forced): %s", ", ".join(changed))


def _value_at(config: Config, key: str):
    return dict(_flat(config.model_dump(mode="json"))).get(key)


def _check_endpoint(config: Config, *, progress: bool) -> None:
    """Ask an endpoint teacher's endpoint for its models before the run starts (with the teacher's retries),
    so a server that is down costs seconds, not a run of failed rows."""
    if "openai" not in config.teacher.kinds() or not config.teacher.openai.check_endpoint:
        return

    def retrying(failure: str, attempt: int, attempts: int, wait_s: float) -> None:
        line = (f"teacher endpoint {config.teacher.openai.base_url}: {failure}; attempt {attempt} of {attempts}, "
                f"again in {wait_s:.1f} s")
        log.info(line)  # not a warning: Python's last-resort handler would print it with --no-progress too
        if progress:
            print(line, file=sys.stderr, flush=True)

    try:
        served = OpenAITeacher(config.teacher, config.run.seed).check_endpoint(on_retry=retrying)
    except EndpointError as err:
        raise TeacherUnreachable(str(err)) from None
    if served and config.teacher.openai.model not in served:
        print(f"warning: {config.teacher.openai.base_url} lists no model {config.teacher.openai.model!r} "
              f"(it lists {', '.join(served[:5])}{'...' if len(served) > 5 else ''}); requests may fail",
              file=sys.stderr)


def preview(config: Config, *, out_dir: str | None = None) -> dict:
    """What `generate` would do, without a teacher call or Ray (`generate --dry-run`): the resolved config,
    the specs it would draw (checked as the run checks them) with their coverage, and the first spec's
    rendered prompt."""
    out_dir = out_dir or config.out_dir()
    config = config.model_copy(update={"run": config.run.model_copy(update={"out": out_dir})})
    sampler, teacher, _ = check_config(config)
    unchecked: list = []
    specs, degenerate = draw_specs(config, sampler, unchecked)
    messages = Prompter(config.teacher.prompt)(specs[0].to_row()) if specs else []
    return {"config": config.to_yaml(), "teacher": teacher.name, "out": out_dir,
            "first_answers": len(specs) * config.teacher.rows_per_spec(), "max_turns": config.refine.max_turns,
            "most_candidates": len(specs) * most_candidates_per_spec(config),
            "specs": coverage([spec.to_json() for spec in specs]), "degenerate_specs": degenerate,
            "unchecked_specs": [{"spec_id": c.spec_id, "why": c.detail} for c in unchecked],
            "spec_ids": [spec.spec_id for spec in specs], "prompt": messages}


class _Session:
    """One start or resume of a run: the loops over spec batches, their workers, checkpoints and progress."""

    def __init__(self, config: Config, ray, writer: RunWriter, local_dir: Path, session_id: str, *, workers: int,
                 gpu: bool, calls: int, progress: bool) -> None:
        self.config = config
        self.writer = writer
        self.id = session_id
        self.faults = Faults()
        self.teacher_counts: Counter = Counter()
        self._counts_lock = threading.Lock()  # the teacher's counters arrive from every batch's thread
        self.cancelled = threading.Event()
        self.in_flight = config.refine.batches_in_flight or 2 * workers * calls
        self.progress = RunProgress(num_specs=config.specs.num_specs, workers=workers, gpu=gpu,
                                    display=progress and sys.stderr.isatty(), faults=self.faults.counts,
                                    model_teacher=bool({"openai", "vllm"} & set(config.teacher.kinds())),
                                    candidates=None if config.refine.max_turns else
                                    config.specs.num_specs * config.teacher.rows_per_spec(),
                                    candidates_per_spec=most_candidates_per_spec(config))
        self.show_summary = self.progress.display  # a table is for a person at a terminal, not a log file
        self.parts = _PartBuffer(writer, self._counters, session=self.id)
        # Rows of failed teacher calls wait here until a teacher call succeeds: a session in which every call
        # failed checkpoints none of them, so `--resume` asks the teacher again (TeacherFailed).
        self.teacher_ok = False
        self._teacher_failures: list[dict] = []
        self._kill_after = int(os.environ.get(KILL_AFTER_JUDGED_ENV) or 0)
        self._judged_count = 0
        log_dir = local_dir / LOG_DIR
        teacher_config = config.teacher.for_run(local_dir)
        # An endpoint teacher answers several batches' calls at once (its own semaphore bounds the requests);
        # an engine or compiler teacher one call at a time.
        concurrency = self.in_flight if teacher_config.kinds() == ("openai",) else 1
        self.teacher = RemoteTeacher(ray, teacher_config, config.run.seed, faults=self.faults,
                                     cancelled=self.cancelled, on_stats=self._teacher_answered,
                                     concurrency=concurrency, log_dir=log_dir)
        self.pool = VerifierPool(ray, config.verify, workers=workers, gpu_share=_verifier_gpu_share(config) if gpu else 0,
                                 calls=calls, faults=self.faults, cancelled=self.cancelled, log_dir=log_dir,
                                 draw_key=verifier_draw_key(config.run.seed))
        self.loop = RefineLoop(self.teacher, self._verify, config.refine)

    def run(self, spec_rows: list[dict]) -> dict:
        """Every batch's loop; returns the manifest's `refinement` (with refinement) and `throughput`."""
        index = self.writer.part_index()
        if index:  # a resume: the display counts what earlier sessions judged too
            self.progress.checkpointed = len(self.writer.done_candidate_ids())
        log.info("session %s: %d specs, %d already with checkpointed candidates; %d batches in flight",
                 self.id, len(spec_rows), sum(1 for row in spec_rows if row["spec_id"] in index), self.in_flight)
        self.writer.write_counters(self.id, self._counters())
        size = self.config.refine.specs_per_batch
        batches = (spec_rows[start:start + size] for start in range(0, len(spec_rows), size))
        stopped: Counter = Counter()
        threads = ThreadPoolExecutor(max_workers=self.in_flight, thread_name_prefix="batch")
        pending: set[Future] = set()
        try:
            with self.progress:
                for batch in batches:
                    while len(pending) >= self.in_flight:
                        pending = self._collect(pending, stopped)
                    pending.add(threads.submit(self._run_batch, batch, index))
                while pending:
                    pending = self._collect(pending, stopped)
        except BaseException:  # Ctrl-C included: what was judged is checkpointed before the run stops
            self._stop(threads)
            raise
        self._stop(threads)
        if self._teacher_failures and not self.teacher_ok:
            raise TeacherFailed(f"every teacher call of this session failed ({len(self._teacher_failures)} "
                                f"candidates without an answer; {_teacher_errors(self._teacher_failures)}); "
                                f"none was checkpointed")
        if self._teacher_failures:  # a call succeeded after the last verdict: the held failures are data now
            self.parts.add(self._teacher_failures)
            self.parts.flush()
        if self.show_summary:
            from rich.console import Console

            Console(stderr=True).print(self.progress.summary_table())
        log.info("session %s done: %s", self.id, self.progress.line())
        extra = {"throughput": self.progress.snapshot(),
                 # The sandbox layers bwrap gives where this driver runs, and whether the verifier insisted
                 # on them (each verifier actor refuses to start without them when required).
                 "isolation": {"required": require_isolation(self.config.verify),
                               "bwrap_layers": outer_layers()}}
        if self.config.refine.max_turns > 0:
            extra["refinement"] = {"max_turns": self.config.refine.max_turns,
                                   "specs_stopped": dict(sorted(stopped.items()))}
        return extra

    def _run_batch(self, batch: list[dict], index: dict) -> Counter:
        judged = self.writer.judged_rows(index, [row["spec_id"] for row in batch])
        result = self.loop.run(batch, judged=judged,
                               on_stopped=lambda spec_id, _why: self.progress.spec_finished(spec_id))
        return Counter(result.stopped.values())

    def _collect(self, pending: set[Future], stopped: Counter) -> set[Future]:
        """Wait up to a second for a batch to finish (its error, if any, is raised here), checkpoint what
        is due and tick the progress; return the batches still running."""
        done, pending = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
        for future in done:
            stopped.update(future.result())
        self.parts.flush(due_only=True)
        self.progress.tick()
        return pending

    def _stop(self, threads: ThreadPoolExecutor) -> None:
        """Stop every loop (each notices within a second), then checkpoint what was judged."""
        self.cancelled.set()
        threads.shutdown(wait=True, cancel_futures=True)
        self.parts.flush()

    def _verify(self, rows: list[dict]) -> list[dict]:
        self.progress.sent_to_verify(len(rows))
        judged = self.pool.verify(rows, on_judged=self._judged)
        if {"openai", "vllm"} & set(self.config.teacher.kinds()):
            # The loop's next teacher requests quote these verdicts (their feedback): checkpointed first, a
            # resumed run asks the very same requests, which the teacher cache answers.
            self.parts.flush()
        return judged

    def _judged(self, rows: list[dict]) -> None:
        self.progress.verified(rows)
        with self._counts_lock:
            if self.teacher_ok:
                kept, self._teacher_failures = self._teacher_failures + rows, []
            else:
                self._teacher_failures += [row for row in rows if row["reason_code"] == Reason.TEACHER_ERROR.value]
                kept = [row for row in rows if row["reason_code"] != Reason.TEACHER_ERROR.value]
        self.parts.add(kept)
        if self._kill_after:
            with self._counts_lock:
                self._judged_count += len(rows)
                if self._judged_count >= self._kill_after:
                    os.killpg(os.getpgrp(), signal.SIGKILL)

    def _teacher_answered(self, stats: dict, rows: list[dict]) -> None:
        with self._counts_lock:
            self.teacher_counts.update({k: v for k, v in stats.items() if not k.startswith("fault:")})
            if any("error" not in json.loads(row["teacher_meta"] or "{}") for row in rows):
                self.teacher_ok = True
        self.progress.teacher_answered(stats, rows)

    def _counters(self) -> dict:
        with self._counts_lock:
            teacher = dict(self.teacher_counts)
        return {"faults": self.faults.counts(), "teacher": teacher}


def most_candidates_per_spec(config: Config) -> int:
    """The most candidates one spec can get: its first answers and, with refinement, `keep_k` parents x
    `children_per_parent` answers a round, within `max_candidates_per_spec` (the display's measure of a spec's
    work; a spec stopped early has fewer)."""
    most = config.teacher.rows_per_spec() + config.refine.max_turns * config.refine.keep_k \
        * config.refine.children_per_parent
    cap = config.refine.max_candidates_per_spec
    return min(most, cap) if cap is not None else most


class _Phases:
    """Start-up phases, one line each on a terminal (tens of seconds before the live display has anything to
    show: references run, Ray starts, workers import torch), and in the run's log either way."""

    def __init__(self, progress: bool) -> None:
        self.show = progress and sys.stderr.isatty()
        self.started = time.monotonic()

    def __call__(self, text: str) -> None:
        log.info("start-up: %s", text)
        if self.show:
            print(f"[{time.monotonic() - self.started:5.1f} s] {text}...", file=sys.stderr, flush=True)


def _teacher_errors(rows: list[dict]) -> str:
    """The failure kinds of failed teacher calls' rows, most common first ("connection 12, timeout 2")."""
    kinds = Counter(json.loads(row["teacher_meta"] or "{}").get("error", "unknown") for row in rows)
    return ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())


class _PartBuffer:
    """Judged rows waiting to be checkpointed together (one part per PART_ROWS rows or PART_SECONDS), with
    the session's counters beside them."""

    def __init__(self, writer: RunWriter, counters, *, session: str) -> None:
        self.writer = writer
        self.counters = counters
        self.session = session
        self._rows: list[dict] = []
        self._since = time.monotonic()
        self._lock = threading.Lock()

    def add(self, rows: list[dict]) -> None:
        with self._lock:
            self._rows.extend(rows)
            full = len(self._rows) >= PART_ROWS
        if full:
            self.flush()

    def flush(self, *, due_only: bool = False) -> None:
        with self._lock:
            if due_only and len(self._rows) < PART_ROWS and time.monotonic() - self._since < PART_SECONDS:
                return
            rows, self._rows = self._rows, []
            self._since = time.monotonic()
            if rows:
                self.writer.write_part(table_from_rows(rows, RAW_SCHEMA))
            self.writer.write_counters(self.session, self.counters())


def verifier_draw_key(seed: int) -> str:
    """The key of the verifier's random draws in a run with `seed` (filters.verifier.disguise): the same seed judges
    each candidate with the same inputs, poison and call pattern, so it gives the same dataset."""
    return f"run.seed={seed}"


def local_run_dir(writer: RunWriter) -> Path:
    """Where the run's logs and teacher cache live: the run directory on a local disk; for one elsewhere a
    local directory named by the URI's id, under $KERNELDATA_STATE or ~/.cache/kerneldata/runs."""
    if writer.location.is_local:
        return writer.location.local_path()
    state = Path(os.environ.get("KERNELDATA_STATE") or Path.home() / ".cache" / "kerneldata" / "runs")
    return state / stable_id(writer.location.uri())


def _log_to_file(path: Path) -> tuple[logging.Handler, dict[str, int]]:
    """Send the run's log records (INFO and up) to `path`, appended: a resumed run continues the log. Returns
    the handler and the loggers' levels before, for `_stop_logging`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    levels = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        levels[name] = logger.level
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    return handler, levels


def _stop_logging(logging_state: tuple[logging.Handler, dict[str, int]]) -> None:
    handler, levels = logging_state
    for name, level in levels.items():
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(level)
    handler.close()


def _joined_cluster(config: Config) -> bool:
    return bool(config.ray.address or os.environ.get("RAY_ADDRESS"))


# Tries at starting (or joining) Ray: on a loaded machine a local instance's GCS can miss its start-up deadline.
RAY_INIT_ATTEMPTS = 3


def _init_ray(config: Config):
    import ray

    # ray.init replaces the driver's SIGTERM handler with one that exits at once (code 15, no checkpoint);
    # the one there was before (the CLI's: stop as Ctrl-C does) is put back below.
    on_sigterm = signal.getsignal(signal.SIGTERM) if threading.current_thread() is threading.main_thread() else None
    try:
        return _start_ray(ray, config)
    finally:
        if on_sigterm is not None:
            signal.signal(signal.SIGTERM, on_sigterm)


def _start_ray(ray, config: Config):
    for attempt in range(1, RAY_INIT_ATTEMPTS + 1):
        if ray.is_initialized():
            break
        try:
            if _joined_cluster(config):
                ray.init(address=config.ray.address or os.environ["RAY_ADDRESS"], logging_level="WARNING")
            else:
                _quiet_token_auth()
                ray.init(num_cpus=config.ray.num_cpus, include_dashboard=False, logging_level="WARNING",
                         log_to_driver=True, configure_logging=True)
        except Exception as err:  # noqa: BLE001 Ray raises a bare Exception when a local node misses its start-up
            # deadline on a loaded machine ("timed out during startup"): tried again like the others
            ray.shutdown()
            if attempt == RAY_INIT_ATTEMPTS:
                raise PipelineError(f"cannot start or join Ray ({attempt} tries): {err}") from None
            log.warning("Ray did not start (attempt %d of %d): %s", attempt, RAY_INIT_ATTEMPTS, err)
            time.sleep(5 * attempt)
    return ray


# The logger of Ray's token-authentication set-up (ray._private.authentication.authentication_token_setup).
RAY_AUTH_LOGGER = "ray._private.authentication.authentication_token_setup"


class _TokenAuthNotice(logging.Filter):
    """Drops Ray's notice that token authentication is on. Ray (2.5x and later) turns token authentication on
    for every `ray.init()` that starts a local instance and, where RAY_AUTH_MODE is unset, logs a warning saying
    so, on every run: for the first tens of seconds it was all a user saw (issue 18). Nothing is wrong and
    nothing is asked of the user, so it is not shown; the instance still runs with token authentication.
    Ray's other warnings (that authentication is *off*, say) pass. Setting RAY_AUTH_MODE=token instead is not
    safe from here: Ray reads it once, when imported, and a GCS started with it set afterwards finds no token
    on a fresh machine and aborts."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Token authentication is enabled")


def _quiet_token_auth() -> None:
    """Install `_TokenAuthNotice` on Ray's authentication logger (once)."""
    logger = logging.getLogger(RAY_AUTH_LOGGER)
    if not any(isinstance(f, _TokenAuthNotice) for f in logger.filters):
        logger.addFilter(_TokenAuthNotice())


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
