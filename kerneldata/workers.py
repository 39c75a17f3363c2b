"""The pipeline's Ray workers, and what happens when one fails.

- `RemoteTeacher` is what the refinement loop (generators.refine) calls a teacher; one `TeacherWorker` actor
  answers it. An endpoint teacher's actor takes several calls at once (`concurrency`: its own semaphore
  bounds the requests in flight), an engine teacher's one at a time.
- `VerifierPool` is a pool of `VerifyWorker` actors (one VerifyStage each, its sandbox zygote made once)
  shared by the loops' threads: each candidate goes to the next idle worker, one candidate per worker at a
  time, so a slow candidate holds up no other.

Faults. A call fails when its worker dies (a crash, the OOM killer, a lost node: Ray's actor errors), raises
(a bug, a GPU error in the worker itself), or gives no answer within its time limit (hung: the worker is
killed). The worker is then replaced by a fresh one and the call tried again, up to `max_attempts` calls in
all. After the last, a verifier gives the candidate a `verifier_fault` verdict (unverified) and a teacher
gives its specs rows without code (`teacher_meta.error` "teacher_lost"); the run goes on. Every failure is
counted in `Faults` by kind (`verifier_worker_died`, `teacher_worker_hung`, `verifier_gave_up`...), which the
manifest reports. A candidate that crashes or hangs inside the verifier's sandbox is not a fault here: the
sandbox contains it and that is its verdict (`crashed`, `timeout`).

A worker is ready (its actor constructed: imports, the sandbox's zygote) before it gets a call, so a call's
time limit measures the call, not a start-up; a worker that cannot start within `START_TIMEOUT_S`, on
`max_attempts` tries, stops the run (`WorkersFailed`).

Circuit breaker: when `GIVE_UP_LIMIT` calls in a row end given up (the teacher's, or the verifier's), the
cause is the setup, not one bad input, and `WorkersFailed` stops the run (resumable: nothing done is lost).

Cancelling: every wait polls `cancelled` (set on Ctrl-C, or when another loop failed) once a second, and
raises `Cancelled` instead of retrying.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ray.exceptions import RayError, RayTaskError

from kerneldata.core.config import TeacherConfig, VerifyConfig
from kerneldata.core.schema import CANDIDATE_SCHEMA, table_from_rows
from generators.teachers import TeacherStage, make_teacher
from filters.stage import VerifyStage, verifier_fault

log = logging.getLogger(__name__)

# Calls in a row that ended given up before the run stops (see the module docstring).
GIVE_UP_LIMIT = 5
# How long a new worker may take to be ready: Ray may have to wait for a free CPU or GPU (a lost node's work
# moving elsewhere), then the actor imports torch and starts its sandbox.
START_TIMEOUT_S = 600.0
# How often a wait looks at `cancelled` and the time limit (seconds).
_POLL_S = 1.0
# The loggers whose records go to a run's log files.
LOGGERS = ("kerneldata", "generators", "filters", "shards")


class Cancelled(RuntimeError):
    """The run is stopping (Ctrl-C, or another loop failed); this call gives up without retrying."""


class WorkersFailed(RuntimeError):
    """Workers failed on GIVE_UP_LIMIT calls in a row: the run stops (one line for the user)."""


class Faults:
    """Failures by kind, counted from any thread."""

    def __init__(self) -> None:
        self._counts: Counter = Counter()
        self._lock = threading.Lock()

    def add(self, kind: str, amount: int = 1) -> None:
        if amount:
            with self._lock:
                self._counts[kind] += amount

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


@dataclass
class _Breaker:
    """Counts calls given up in a row; any success starts it again."""

    what: str
    given_up: int = 0
    last: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def success(self) -> None:
        with self._lock:
            self.given_up = 0

    def gave_up(self, detail: str) -> None:
        with self._lock:
            self.given_up += 1
            self.last = detail
            if self.given_up >= GIVE_UP_LIMIT:
                raise WorkersFailed(f"the {self.what} failed on {self.given_up} calls in a row, each after its "
                                    f"retries (last: {detail}); fix the cause and resume with --resume")


def log_to(log_dir: Path | None, name: str) -> None:
    """Send this process's kerneldata log records to `log_dir/name` too (a worker's own log file). Nothing
    when the directory cannot be made here (a worker on another node than the run directory)."""
    if log_dir is None:
        return
    try:
        Path(log_dir).mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(Path(log_dir) / name, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for logger_name in LOGGERS:
        logger = logging.getLogger(logger_name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


# -- the teacher -----------------------------------------------------------------------------------------


class TeacherWorker:
    """The teacher in a Ray actor (where an engine teacher keeps its model). Each call returns its rows and
    the teacher's counters since the last call."""

    def __init__(self, config: TeacherConfig, seed: int, log_dir: str | None = None) -> None:
        log_to(Path(log_dir) if log_dir else None, f"teacher-{os.getpid()}.log")
        self.teacher = make_teacher(config, seed)
        self.teacher.check_device()  # the driver made its teacher without one (the inductor teacher's GPU)

    def pid(self) -> int:
        return os.getpid()

    def generate_batch(self, spec_rows: list[dict]) -> tuple[list[dict], dict]:
        started = time.monotonic()
        rows = self.teacher.generate_batch(spec_rows)
        log.info("teacher: %d first answers for %d specs in %.1f s", len(rows), len(spec_rows),
                 time.monotonic() - started)
        return rows, self.teacher.take_stats()

    def refine_batch(self, requests: list) -> tuple[list[dict], dict]:
        started = time.monotonic()
        rows = self.teacher.refine_batch(requests)
        log.info("teacher: %d refinements for %d requests in %.1f s", len(rows), len(requests),
                 time.monotonic() - started)
        return rows, self.teacher.take_stats()


class RemoteTeacher:
    """A teacher (`name`, `generate_batch`, `refine_batch`) whose calls go to a `TeacherWorker`, with the
    retries and replacements of the module docstring. `on_stats(stats, rows)` gets each answered call's
    counters and rows (the run's progress); teacher counters named `fault:<kind>` go to `faults`."""

    def __init__(self, ray, config: TeacherConfig, seed: int, *, faults: Faults, cancelled: threading.Event,
                 on_stats: Callable[[dict, list[dict]], None], concurrency: int = 1, log_dir: Path | None = None,
                 worker_class: type = TeacherWorker) -> None:
        self._ray = ray
        self._config = config
        self._seed = seed
        self._faults = faults
        self._cancelled = cancelled
        self._on_stats = on_stats
        self._log_dir = str(log_dir) if log_dir else None
        self._breaker = _Breaker("teacher's worker")
        self._local = make_teacher(config, seed)  # builds the rows of a call given up; no model, no device
        self.name = self._local.name
        options = {"num_cpus": TeacherStage.num_cpus, "num_gpus": config.num_gpus(), "max_concurrency": concurrency}
        if config.cache_dir() is not None:
            # The cache is a local directory: keep the teacher on the driver's node where it can.
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(
                node_id=ray.get_runtime_context().get_node_id(), soft=True)
        self._actor_class = ray.remote(**options)(worker_class)
        self._lock = threading.Lock()
        self._generation = 0
        self._actor = self._start()

    def generate_batch(self, spec_rows: list[dict]) -> list[dict]:
        return self._call("generate_batch", spec_rows,
                          lambda detail: self._local.failed_rows(spec_rows, "teacher_lost", detail))

    def refine_batch(self, requests: list) -> list[dict]:
        return self._call("refine_batch", requests,
                          lambda detail: self._local.failed_refinements(requests, "teacher_lost", detail))

    def _start(self):
        return _ready_worker(self._ray, lambda: self._actor_class.remote(self._config, self._seed, self._log_dir),
                             what="teacher", attempts=self._config.max_attempts, faults=self._faults,
                             cancelled=self._cancelled)

    def _call(self, method: str, payload: list, give_up: Callable[[str], list[dict]]) -> list[dict]:
        detail = ""
        for attempt in range(1, self._config.max_attempts + 1):
            with self._lock:
                actor, generation = self._actor, self._generation
            ref = getattr(actor, method).remote(payload)
            fault, detail = _wait(self._ray, ref, timeout_s=self._config.call_timeout_s, cancelled=self._cancelled)
            if fault is None:
                rows, stats = detail
                for key, value in stats.items():
                    if key.startswith("fault:"):
                        self._faults.add(key.removeprefix("fault:"), value)
                self._on_stats(stats, rows)
                self._breaker.success()
                return rows
            self._faults.add(f"teacher_worker_{fault}")
            log.warning("teacher worker %s on %s (attempt %d of %d): %s", fault, method, attempt,
                        self._config.max_attempts, detail)
            self._replace(generation, kill=True)
        self._faults.add("teacher_gave_up")
        log.error("teacher: %s of %d items given up after %d attempts", method, len(payload), self._config.max_attempts)
        self._breaker.gave_up(detail)
        return give_up(detail)

    def _replace(self, generation: int, *, kill: bool) -> None:
        """A fresh worker in place of generation `generation`'s (once, however many calls saw it fail)."""
        with self._lock:
            if generation != self._generation:
                return
            if kill:
                _kill(self._ray, self._actor)
            self._actor = self._start()
            self._generation += 1


# -- the verifier ----------------------------------------------------------------------------------------


# Every this many candidates a verifier worker logs where its time went (`Runtime.phase_seconds`): the
# per-candidate cost at real scale is what a GPU run must explain (BENCHMARKS.md, issue 19).
PHASES_LOG_EVERY = 8


class VerifyWorker:
    """One VerifyStage (its zygote and caches made once) judging candidate rows."""

    def __init__(self, config: VerifyConfig, log_dir: str | None = None, stage: type = VerifyStage,
                 draw_key: str | None = None) -> None:
        log_to(Path(log_dir) if log_dir else None, f"verifier-{os.getpid()}.log")
        self.stage = stage(config=config, draw_key=draw_key)
        self._judged = 0
        self._count_lock = threading.Lock()

    def pid(self) -> int:
        return os.getpid()

    def judge(self, rows: list[dict]) -> list[dict]:
        judged = []
        for row in rows:
            started = time.monotonic()
            (out,) = self.stage(table_from_rows([row], CANDIDATE_SCHEMA)).to_pylist()
            # Wall time, for the live display's busy fraction, the manifest's throughput and this log; not a
            # raw column: a measurement in the rows would make two runs of one seed differ (issue 17).
            out["verify_seconds"] = round(time.monotonic() - started, 3)
            log.info("verify %s: %s %s in %s s", out["candidate_id"], out["status"], out["reason_code"],
                     out["verify_seconds"])
            judged.append(out)
            self._log_phases()
        return judged

    def _log_phases(self) -> None:
        with self._count_lock:
            self._judged += 1
            due = self._judged % PHASES_LOG_EVERY == 0
        runtime = getattr(self.stage, "runtime", None)
        if due and runtime is not None:
            spent = sorted(dict(runtime.phase_seconds).items(), key=lambda item: -item[1])
            log.info("after %d candidates, the verifier's time by phase (summed over threads): %s", self._judged,
                     ", ".join(f"{name} {seconds:.1f} s" for name, seconds in spent[:12]))


@dataclass
class _Job:
    row: dict
    attempts: int = 0  # calls that failed so far
    last_fault: str = ""


class VerifierPool:
    """`workers` VerifyWorker actors, each judging up to `calls` candidates at once (one per slot: on a GPU
    they compile and check on CPU cores while one at a time is timed), asking Ray for `gpu_share` of a GPU;
    `verify(rows, on_judged)` judges candidate rows on them (see the module docstring for faults). The
    actors' CPUs are what the teacher actor leaves (on 2 cores, 0.95 each).

    A failed actor is replaced once, however many of its calls fail: its slots (idle, or coming back from
    failed calls) move to the replacement. When the actor died, every candidate it held is charged an
    attempt (which of them killed it cannot be told); when the pool killed it (one call hung, or raised),
    only that call's candidate is, and the others are tried again free."""

    def __init__(self, ray, config: VerifyConfig, *, workers: int, gpu_share: float, calls: int, faults: Faults,
                 cancelled: threading.Event, log_dir: Path | None = None, stage: type = VerifyStage,
                 draw_key: str | None = None) -> None:
        self._ray = ray
        self._config = config
        self._faults = faults
        self._cancelled = cancelled
        self._device = "cuda" if gpu_share else "cpu"
        self._args = (config, str(log_dir) if log_dir else None, stage, draw_key)
        spare = float(ray.cluster_resources().get("CPU", workers)) - TeacherStage.num_cpus
        num_cpus = max(0.01, min(VerifyStage.num_cpus, spare / workers))
        self._actor_class = ray.remote(num_cpus=num_cpus, num_gpus=gpu_share, max_concurrency=calls)(VerifyWorker)
        self._breaker = _Breaker("verifier's workers")
        self._lock = threading.Lock()  # replacements, from every loop's thread
        self._replaced: dict = {}  # the actor id of a failed actor -> (its replacement, whether the pool killed it)
        self._idle: queue.Queue = queue.Queue()  # slots: an actor handle per call it may take
        starting = [self._actor_class.remote(*self._args) for _ in range(workers)]  # in parallel
        for actor in starting:
            actor = self._start(actor)
            for _ in range(calls):
                self._idle.put(actor)

    def verify(self, rows: list[dict], *, on_judged: Callable[[list[dict]], None]) -> list[dict]:
        """`rows` judged, in the order they finish; `on_judged` gets each as it comes."""
        todo: deque[_Job] = deque(_Job(row) for row in rows)
        pending: dict = {}  # ref -> (actor, job, started)
        judged: list[dict] = []
        timeout_s = self._config.call_timeout()
        while todo or pending:
            if self._cancelled.is_set():
                raise Cancelled("the run is stopping")
            while todo:
                try:
                    actor = self._current(self._idle.get(block=not pending, timeout=_POLL_S))
                except queue.Empty:
                    break
                job = todo.popleft()
                pending[actor.judge.remote([job.row])] = (actor, job, time.monotonic())
            if not pending:
                continue
            ready, _ = self._ray.wait(list(pending), num_returns=1, timeout=_POLL_S)
            now = time.monotonic()
            for ref in list(pending):
                actor, job, started = pending[ref]
                if ref in ready:
                    try:
                        rows_judged = self._ray.get(ref)
                    except RayError as err:
                        fault, detail = _fault_kind(err), _one_line(err)
                    else:
                        del pending[ref]
                        self._idle.put(actor)
                        self._breaker.success()
                        on_judged(rows_judged)
                        judged.extend(rows_judged)
                        continue
                elif now - started > timeout_s:
                    fault, detail = "hung", f"no answer in {timeout_s:.0f} s"
                else:
                    continue
                del pending[ref]
                self._retry_or_give_up(actor, job, fault, detail, todo, on_judged, judged)
        return judged

    def _start(self, first=None):
        """A ready worker: `first` (already created) when it starts, else a fresh one."""
        def create():
            nonlocal first
            actor, first = first, None
            return actor if actor is not None else self._actor_class.remote(*self._args)

        return _ready_worker(self._ray, create, what="verifier", attempts=self._config.max_attempts,
                             faults=self._faults, cancelled=self._cancelled)

    def _current(self, actor):
        """The live actor a slot stands for: `actor`, or what replaced it (and what replaced that...)."""
        with self._lock:
            while actor._actor_id in self._replaced:
                actor = self._replaced[actor._actor_id][0]
        return actor

    def _replace(self, actor, fault: str) -> tuple[bool, bool]:
        """Replace a failed actor (once); the failed call's slot moves to the replacement. Returns (whether
        this call is the one that found it failed, whether the pool killed it itself)."""
        with self._lock:
            known = self._replaced.get(actor._actor_id)
            if known is None:
                killed = fault != "died"  # hung or raising: the pool kills it; else it is gone already
                _kill(self._ray, actor)
                self._replaced[actor._actor_id] = (self._start(), killed)
                first, killed_by_pool = True, killed
            else:
                first, killed_by_pool = False, known[1]
        self._idle.put(self._current(actor))
        return first, killed_by_pool

    def _retry_or_give_up(self, actor, job: _Job, fault: str, detail: str, todo: deque, on_judged, judged) -> None:
        if self._cancelled.is_set():
            raise Cancelled("the run is stopping")
        first, killed_by_pool = self._replace(actor, fault)
        if first:
            self._faults.add(f"verifier_worker_{fault}")
        elif killed_by_pool:  # the pool killed the actor over another call: this candidate did nothing wrong
            todo.appendleft(job)
            return
        job.attempts += 1
        log.warning("verifier worker %s on candidate %s (attempt %d of %d): %s", fault, job.row["candidate_id"],
                    job.attempts, self._config.max_attempts, detail)
        if job.attempts < self._config.max_attempts:
            todo.appendleft(job)
            return
        self._faults.add("verifier_gave_up")
        row = verifier_fault(job.row, fault=fault, attempts=job.attempts, device=self._device)
        on_judged([row])
        judged.append(row)
        self._breaker.gave_up(f"candidate {job.row['candidate_id']}: {detail}")


# -- waiting ---------------------------------------------------------------------------------------------


def _wait(ray, ref, *, timeout_s: float | None, cancelled: threading.Event):
    """(None, result), or (fault, one-line detail) with fault died / error / hung. Raises Cancelled."""
    started = time.monotonic()
    while True:
        if cancelled.is_set():
            raise Cancelled("the run is stopping")
        ready, _ = ray.wait([ref], num_returns=1, timeout=_POLL_S)
        if ready:
            try:
                return None, ray.get(ref)
            except RayError as err:
                if cancelled.is_set():
                    raise Cancelled("the run is stopping") from None
                return _fault_kind(err), _one_line(err)
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            return "hung", f"no answer in {timeout_s:.0f} s"


def _ready_worker(ray, create: Callable, *, what: str, attempts: int, faults: Faults, cancelled: threading.Event):
    """A worker from `create()` that answered its first call (`pid`), trying `attempts` times; else
    WorkersFailed. Each failed start is counted (`<what>_worker_start_failed`)."""
    detail = ""
    for _ in range(attempts):
        actor = create()
        fault, detail = _wait(ray, actor.pid.remote(), timeout_s=START_TIMEOUT_S, cancelled=cancelled)
        if fault is None:
            return actor
        faults.add(f"{what}_worker_start_failed")
        log.warning("a %s worker failed to start (%s): %s", what, fault, detail)
        _kill(ray, actor)
    raise WorkersFailed(f"cannot start a {what} worker ({attempts} tries; last: {detail}); fix the cause and "
                        f"resume with --resume")


def _fault_kind(err: BaseException) -> str:
    """died / error for an exception from ray.get (hung is decided by the caller's clock): a task error is
    the worker's code raising; any other Ray error means the worker or its node is gone."""
    return "error" if isinstance(err, RayTaskError) else "died"


def _kill(ray, actor) -> None:
    try:
        ray.kill(actor, no_restart=True)
    except Exception:  # already gone
        pass


def _one_line(err: BaseException) -> str:
    """The last non-empty line of an error (Ray's carry the remote traceback), at most 300 characters."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    return (lines[-1] if lines else type(err).__name__)[:300]
