"""What the verifications in one process share (`Runtime`): the zygote that forks sandboxed workers and the
idle workers kept for the next candidate, the GPU's turns (`GpuTurns`: checks share it, timing has it
alone) and its memory (`filters.verifier.gpu_memory.GpuMemory`: candidates admitted by what they hold), the
device's measured peaks, cached `torch.compile` baselines, the reference probes, and where the time went
(phases)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache

from kerneldata.core.hardware import device_flush_bytes, fingerprint
from filters.verifier.gpu_memory import GpuMemory
from filters.verifier.isolation import usable_bwrap
from filters.verifier.reference_probe import ReferenceProbes
from filters.verifier.sandbox import SandboxWorker, Zygote
from filters.verifier.options import VerifyOptions


@lru_cache(maxsize=None)
def hardware_fingerprint(device: str) -> str:
    return fingerprint(device)


# The phases that put work on the GPU: the candidate's loads, runs and warm-ups in its worker, and this
# process's input draws, reference calls, float64 answers and comparisons. On a GPU each takes a shared turn.
# (Not "probe reference": the reference probes run on a CPU copy, seconds a problem that timing need not wait.)
GPU_PHASES = frozenset({"load", "draw", "reference", "truth", "run", "compare", "warm", "warm+compile"})


class GpuTurns:
    """Who may use the GPU now. Checks share it (`shared`); timing has it alone (`alone`): a candidate timed
    while other candidates' checks run beside it on the same GPU (a float64 answer of a large GEMM, a
    real-scale reference call) is timed against a different machine than its baseline was, and its speedup
    would not survive re-measurement. A waiting timer goes first: checks asking after it wait until it is done.
    A thread may nest shared turns, and take one while it has the GPU alone (part of its turn); asking for
    the GPU alone while holding a turn would wait for itself, and raises instead."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._sharing = 0
        self._timing = False
        self._waiting_timers = 0
        self._held = threading.local()

    def _depth(self) -> int:
        return getattr(self._held, "depth", 0)

    @contextlib.contextmanager
    def shared(self):
        if self._depth() or getattr(self._held, "alone", False):  # this thread already has a turn
            self._held.depth = self._depth() + 1
            try:
                yield
            finally:
                self._held.depth -= 1
            return
        with self._cond:
            while self._timing or self._waiting_timers:
                self._cond.wait()
            self._sharing += 1
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._cond:
                self._sharing -= 1
                if not self._sharing:
                    self._cond.notify_all()

    @contextlib.contextmanager
    def alone(self):
        if self._depth() or getattr(self._held, "alone", False):
            raise RuntimeError("asked for the GPU alone while holding a turn: this thread would wait for itself")
        with self._cond:
            self._waiting_timers += 1
            try:
                while self._timing or self._sharing:
                    self._cond.wait()
            finally:
                self._waiting_timers -= 1
            self._timing = True
        self._held.alone = True
        try:
            yield
        finally:
            self._held.alone = False
            with self._cond:
                self._timing = False
                self._cond.notify_all()


@dataclass
class Runtime:
    """What the verifications on one device share: a zygote that forks the sandboxed children, the GPU's
    turns (one child at a time has it alone for timing, while the others compile on the CPU) and its memory
    (`gpu_memory`: a candidate starts when what it will hold fits), the device's measured peaks,
    `torch.compile` baseline timings per reference and hardware, and which inputs each problem's reference
    tolerates transformed (`probes`, which runtimes on several devices may share). Thread-safe; close() when
    done."""

    device: str
    device_index: int = 0
    use_zygote: bool = True
    probes: ReferenceProbes = field(default_factory=ReferenceProbes)
    zygote: Zygote | None = field(init=False, default=None)
    gpu_turns: GpuTurns = field(init=False, default_factory=GpuTurns)
    compile_baselines: dict = field(init=False, default_factory=dict)
    _compile_locks: dict = field(init=False, default_factory=dict)
    _peaks: dict | None = field(init=False, default=None)
    _gpu_memory: GpuMemory | None = field(init=False, default=None)
    # The confinement layers the last worker reported (filters.verifier.confine): netns, landlock-*, audit.
    confinement: list = field(init=False, default_factory=list)
    # Workers waiting for their next candidate, and how many were started and retired (and why).
    _idle: list = field(init=False, default_factory=list)
    workers_started: int = field(init=False, default=0)
    workers_retired: dict = field(init=False, default_factory=dict)
    # What candidates changed in their workers' processes (filters.verifier.integrity), counted: a change that honest
    # kernels make would show here as a common entry.
    process_changes: dict = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    _peaks_lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.phase_seconds = {}
        # Under bwrap each worker starts fresh (filters.verifier.isolation): no zygote to fork from.
        if self.use_zygote and usable_bwrap() is None:
            self.zygote = Zygote(self.device)

    @property
    def torch_device(self) -> str:
        return "cpu" if self.device == "cpu" else f"cuda:{self.device_index}"

    @property
    def gpu_memory(self) -> GpuMemory:
        """The GPU's memory as candidates hold it, its capacity read at first use (after this process made its
        CUDA context, which the reading needs)."""
        with self._lock:
            if self._gpu_memory is None:
                self._gpu_memory = GpuMemory.of_device(self.torch_device)
            return self._gpu_memory

    def flush_bytes(self) -> int:
        return device_flush_bytes(self.device_index)

    @contextlib.contextmanager
    def phase(self, name: str):
        """Add the time spent in `name` (summed over threads) to `phase_seconds`: where throughput goes. On
        a GPU, a phase of GPU_PHASES takes a shared turn of it first (`GpuTurns`); the wait is its own phase."""
        with contextlib.ExitStack() as turn:
            if self.device != "cpu" and name in GPU_PHASES:
                waited = time.monotonic()
                turn.enter_context(self.gpu_turns.shared())
                self.add_phase("wait for timing", time.monotonic() - waited)
            started = time.monotonic()
            try:
                yield
            finally:
                self.add_phase(name, time.monotonic() - started)

    def add_phase(self, name: str, seconds: float) -> None:
        """Add time measured elsewhere (a child's own account of a request) to `phase_seconds`."""
        with self._lock:
            self.phase_seconds[name] = self.phase_seconds.get(name, 0.0) + seconds

    def add_child_phases(self, header: dict, *, first_run: bool = False) -> None:
        """The child's account of where a request's time went, as phases named `child <what>`: the first
        forward of a candidate includes Triton's JIT compile of its kernels."""
        for name, seconds in (header.get("seconds") or {}).items():
            if isinstance(seconds, (int, float)):
                label = f"child {name} (first)" if first_run and name == "forward" else f"child {name}"
                self.add_phase(label, float(seconds))

    def compile_lock(self, key) -> threading.Lock:
        """One lock per spec: the first candidate of a spec compiles and times the torch.compile baseline while
        the others of that spec wait for its cached result instead of compiling it again in parallel."""
        with self._lock:
            return self._compile_locks.setdefault(key, threading.Lock())

    def pin_for_timing(self, pid: int) -> None:
        """Give the timing child a core of its own: launch overhead is part of what is timed, and the
        children compiling beside it would otherwise make it noisy. Compiling children keep off that core
        (`pin_for_compiling`). A no-op with fewer than 3 cores."""
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) >= 3:
            try:
                os.sched_setaffinity(pid, {cores[0]})
            except OSError:  # the child already exited: its verdict says why
                pass

    def pin_for_compiling(self, pid: int) -> None:
        cores = sorted(os.sched_getaffinity(0))
        if len(cores) >= 3:
            try:
                os.sched_setaffinity(pid, set(cores[1:]))
            except OSError:
                pass

    def peaks(self) -> dict:
        """Measured once per runtime, in this (trusted) process: DRAM bandwidth from a 1 GiB copy, and
        dense matmul throughput per dtype (fp32 without TF32, as torch does by default)."""
        with self._peaks_lock:  # not self._lock, which a thread holding a shared turn may need to finish it
            if self._peaks is None:
                with self.gpu_turns.alone():  # peaks measured beside other candidates' checks would be low
                    self._peaks = measure_peaks(self.torch_device)
            return self._peaks

    def acquire_worker(self, options: VerifyOptions) -> SandboxWorker:
        """An idle worker of this runtime, or a new one (its start is charged to phase `spawn`)."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        with self.phase("spawn"):
            on_gpu = options.device != "cpu"
            worker = SandboxWorker(
                device=options.device,
                start_deadline=time.monotonic() + options.worker_start_timeout_s,
                memory_limit_bytes=None if on_gpu else options.memory_limit_bytes,
                output_limit_bytes=options.output_limit_bytes,
                zygote=self.zygote,
                visible_device=self.device_index if on_gpu else None,
                require_isolation=options.require_isolation,
            )
        with self._lock:
            self.workers_started += 1
        self.confinement = worker.confinement
        self.add_child_phases(worker.started)
        return worker

    def count_changes(self, changes: list[str]) -> None:
        with self._lock:
            for change in changes:
                if change in self.process_changes or len(self.process_changes) < 64:
                    self.process_changes[change] = self.process_changes.get(change, 0) + 1

    def release_worker(self, worker: SandboxWorker, options: VerifyOptions, *, retire: str | None) -> None:
        """Keep `worker` for the next candidate, or close it: after a fault or a change (`retire` says
        which), or once it has served `options.candidates_per_worker` candidates."""
        if retire is None and worker.served >= options.candidates_per_worker:
            retire = "served its share"
        if retire is None:
            with self._lock:
                self._idle.append(worker)
            return
        with self._lock:
            self.workers_retired[retire] = self.workers_retired.get(retire, 0) + 1
        worker.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()
        if self.zygote is not None:
            self.zygote.close()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def measure_peaks(device: str) -> dict:
    import torch

    def best_ms(fn, repeats=5):
        fn()
        torch.cuda.synchronize(device)
        times = []
        for _ in range(repeats):
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize(device)
            times.append(start.elapsed_time(end))
        return min(times)

    with torch.cuda.device(device):
        src = torch.empty(1 << 28, dtype=torch.float32, device=device)
        dst = torch.empty_like(src)
        bandwidth = 2 * src.numel() * 4 / (best_ms(lambda: dst.copy_(src)) * 1e-3)
        src = dst = None  # free the 2 GiB before the matmuls
        flops = {}
        for dtype, size in ((torch.float16, 8192), (torch.bfloat16, 8192), (torch.float32, 4096)):
            a = torch.randn(size, size, dtype=dtype, device=device)
            flops[str(dtype).removeprefix("torch.")] = 2 * size ** 3 / (best_ms(lambda: a @ a) * 1e-3)
        torch.cuda.empty_cache()
    return {"bytes_per_s": bandwidth, "flops_per_s": flops}
