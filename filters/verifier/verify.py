"""The verifier: one candidate against its reference, ending in a `Verdict`.

Order (DESIGN section 4): the static gate; then, in a sandboxed worker process (`filters.verifier.sandbox`, forked
from a zygote when a `Runtime` is given, serving candidates one at a time and replaced after any fault or
any change a candidate made to it: `filters.verifier.integrity`), load the candidate and run it on inputs drawn from
seeds it cannot predict, before the reference runs. The outputs come back to this process, which checks them (plain tensor
of the reference's shape and dtype on the right device, no aliasing of an input, inputs unchanged, kernels
actually launched, nothing left running) and compares them with the reference by max-abs and
relative-L2 error (where those fail, with what the float64 truth allows an honest kernel: `filters.verifier.truth`). The first seed runs twice and must agree bit for bit; then the same inputs negated,
scaled and shifted, and in other distributions (non-negative, uniform [0, 1), heavy-tailed, quantised with
ties, tiny), wherever the reference stays finite, so a kernel that only works on randn (a softmax without
its max subtraction, a max or min reduction padded with zeros, an argmax that breaks ties the other way)
fails. The reference's constant-initialised tensors (norm weights, running statistics) are re-drawn per seed
and the candidate's matching ones get the same values (`filters.verifier.parameters`). A transform changes only inputs whose
declared domain survives it; an input without a declared domain is transformed only where a CPU copy of the
reference tolerates it (`filters.verifier.reference_probe`), so the reference never runs on the device on an input
it would device-assert on (binary cross-entropy on a probability shifted below 0).

On a GPU the candidate is then timed in its child (`filters.verifier.timing`) together with the reference's eager
and `torch.compile` baselines, the same way in the same process; the verdict needs the host clock to agree
with the device events (no hidden work), a run no faster than the roofline floor from the device's
measured peaks and no more than `max_plausible_speedup` over eager (else it is quarantined), and at least
`min_speedup` over eager. Under the CPU interpreter no speed is measured: `speedup_*` stay None and the
reason says so.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import hashlib
import math
import os
import shutil
import tempfile
import threading
import time
import types
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from kerneldata.core.domains import ABS, DOMAINS, HEAVY, NEGATE, QUANTISE, SCALE, SHIFT, UNIFORM, parse_domain
from kerneldata.core.hardware import device_flush_bytes, fingerprint
from kerneldata.core.outcomes import Check, Reason, Status, Verdict
from kerneldata.core.spec import RELATIVE_NORM_TOL
from filters.verifier import disguise
from filters.verifier.ipc import tensors_from_bytes
from filters.verifier.parameters import constant_tensors, redraw
from filters.verifier.reference_probe import ReferenceProbes
from filters.verifier.isolation import usable_bwrap
from filters.verifier.sandbox import SandboxError, SandboxWorker, Zygote
from filters.verifier.static import static_check
from filters.verifier.truth import (
    beyond_honest_error, float64_truth, magnitude_sum, no_less_precise, reference_error, rounding_spread, too_far,
)
from filters.verifier.timing import hidden_work_ms


class ReferenceError_(ValueError):
    """The reference problem itself cannot run: bad input, not a verdict on the candidate."""


class _TransformRefused(Exception):
    """The reference raised on a transformed input (on CPU, where that leaves this process intact)."""


@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    device: str  # "cpu" or "cuda", already resolved
    timeout_s: float = 120.0
    num_seeds: int = 3
    # Address-space cap for the child on CPU (CUDA maps far more virtual memory than it uses, so no cap there).
    memory_limit_bytes: int | None = 8 << 30
    output_limit_bytes: int = 16 << 20
    # GPU timing: baselines to measure, the budget per timed function, and the speed rules.
    baselines: tuple[str, ...] = ("eager", "compile")
    timing_budget_ms: float = 60.0  # for the candidate and its baselines together, interleaved
    max_timed_calls: int = 100  # per timed function (KernelBench times 100); fewer when the budget runs out
    min_speedup: float = 1.0
    max_plausible_speedup: float = 100.0
    # The host clock may see this much more than the device events (beyond the calibrated harness
    # overhead) before the difference counts as hidden work: absolute ms plus a fraction of the kernel.
    hidden_work_slack_ms: float = 0.02
    hidden_work_slack_fraction: float = 0.1
    # Faster than this fraction of the roofline floor is physically impossible (with measurement noise).
    roofline_margin: float = 0.7
    # A sandboxed worker serves at most this many candidates (1: a fresh process for each), and none after
    # a fault or a change to its process state (filters.verifier.integrity).
    candidates_per_worker: int = 32
    # Starting a worker (fork, confinement, GPU context) is not charged to a candidate's timeout_s.
    worker_start_timeout_s: float = 120.0
    # Refuse to run (filters.verifier.isolation.IsolationUnavailable) where a sandbox layer is missing (issue 15 s3).
    require_isolation: bool = False
    # The run's key for the verifier's random draws (filters.verifier.disguise): with one, the same candidate is
    # judged with the same draws on every run with this key (a seed gives one dataset); None: secret draws.
    draw_key: str | None = None


_SANDBOX_REASONS = {"timeout": Reason.TIMEOUT, "crashed": Reason.CRASHED, "output_flood": Reason.OUTPUT_FLOOD,
                    "protocol": Reason.PROTOCOL_VIOLATION}


@lru_cache(maxsize=None)
def _fingerprint(device: str) -> str:
    return fingerprint(device)


@dataclass
class Runtime:
    """What the verifications on one device share: a zygote that forks the sandboxed children, a Triton and
    Inductor cache that outlives each child (so driver stubs and baselines compile once per worker), a lock
    that gives one child at a time the GPU for timing while others compile, the device's measured peaks,
    `torch.compile` baseline timings per reference and hardware, and which inputs each problem's reference
    tolerates transformed (`probes`, which runtimes on several devices may share). Thread-safe; close() when
    done."""

    device: str
    device_index: int = 0
    use_zygote: bool = True
    probes: ReferenceProbes = field(default_factory=ReferenceProbes)
    zygote: Zygote | None = field(init=False, default=None)
    cache_dir: Path = field(init=False)
    timing_lock: threading.Lock = field(init=False, default_factory=threading.Lock)
    compile_baselines: dict = field(init=False, default_factory=dict)
    _compile_locks: dict = field(init=False, default_factory=dict)
    _peaks: dict | None = field(init=False, default=None)
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

    def __post_init__(self) -> None:
        self.phase_seconds = {}
        self.cache_dir = Path(tempfile.mkdtemp(prefix="kerneldata-cache-"))
        if self.use_zygote and usable_bwrap() is None:  # under bwrap each worker starts fresh (filters.verifier.isolation)
            self.zygote = Zygote(self.device)

    @property
    def torch_device(self) -> str:
        return "cpu" if self.device == "cpu" else f"cuda:{self.device_index}"

    def flush_bytes(self) -> int:
        return device_flush_bytes(self.device_index)

    @contextlib.contextmanager
    def phase(self, name: str):
        """Add the time spent in `name` (summed over threads) to `phase_seconds`: where throughput goes."""
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
        with self._lock:
            if self._peaks is None:
                self._peaks = _measure_peaks(self.torch_device)
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
                cache_dir=self.cache_dir,
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
        shutil.rmtree(self.cache_dir, ignore_errors=True)

    def __enter__(self) -> Runtime:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _measure_peaks(device: str) -> dict:
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


def load_reference(source: str) -> types.ModuleType:
    """Execute a KernelBench-format problem and check it has what the verifier needs."""
    module = types.ModuleType("reference")
    try:
        exec(compile(source, "<reference>", "exec"), module.__dict__)  # our input, not the candidate's
    except Exception as err:
        raise ReferenceError_(f"the reference problem fails to load: {type(err).__name__}: {err}") from None
    missing = [name for name in ("Model", "get_inputs", "get_init_inputs") if not hasattr(module, name)]
    if missing:
        raise ReferenceError_(f"the reference problem lacks {', '.join(missing)} (KernelBench format)")
    return module


def verify(reference_code: str, candidate_code: str, *, dtype: str, atol: float, rtol: float,
           options: VerifyOptions, runtime: Runtime | None = None, flops: float | None = None,
           input_domains: list[str] | None = None) -> Verdict:
    """Judge one candidate. `runtime` shares a zygote, caches and peaks across calls (see `Runtime`);
    without one, the child is a fresh interpreter and a GPU's peaks are measured for this call alone.
    `flops` (when known from the spec) tightens the roofline floor; `input_domains` (the spec's, one per
    tensor input) limits the input transforms to those that keep each input in its domain."""
    started = time.monotonic()
    measures = {"device": options.device, "hardware": _fingerprint(options.device)}
    verdict = static_check(candidate_code, dtype=dtype, device=options.device)
    if verdict is None:
        reference = load_reference(reference_code)
        own_runtime = runtime is None
        runtime = runtime or Runtime(options.device, use_zygote=False)
        key = disguise.verification_key(options.draw_key, reference_code, candidate_code, dtype, repr(atol),
                                        repr(rtol), repr(input_domains))
        try:
            with disguise.drawn_from(key):
                verdict = _run_checks(reference, reference_code, candidate_code, dtype=dtype, atol=atol, rtol=rtol,
                                      options=options, runtime=runtime, flops=flops, input_domains=input_domains)
        finally:
            if own_runtime:
                runtime.close()
    return _with(verdict, **measures, verify_seconds=round(time.monotonic() - started, 3))


def _with(verdict: Verdict, **measures) -> Verdict:
    return dataclasses.replace(verdict, **measures)


# Input transforms applied to the first seed's inputs after the plain seeds: each keeps the problem's shape
# and dtype and changes only floating-point inputs. Skipped where the reference output is not finite.
# Each is applied only to inputs whose declared domain (kerneldata.core.domains) it keeps them in, and to
# inputs without one only where a CPU copy of the reference tolerates it (filters.verifier.reference_probe).
# The first three move the draw; the others change its distribution, each for cheats randn cannot show
# (tests/filters/cheats): non-negative (a row minimum whose padding lanes load 0), uniform [0, 1), heavy
# tails (a kernel that clamps to the range randn * 64 reaches), quantised to halves (ties, where PyTorch's
# tie rule, the reference's, decides an argmax; and exact zeros) and tiny values (a divisor with an
# "epsilon" added).
def _uniform(x):
    import torch

    return torch.special.ndtr(x.float()).to(x.dtype)  # the normal CDF: a normal draw becomes uniform


# The heavy tail's clip, per dtype: 1e6 stays finite through a matmul or a sum of many terms in fp32; 1e3
# in fp16 / bf16 stays finite through elementwise ops and sums of up to ~60 terms of fp16's largest 65504.
# Where the reference overflows anyway (a product of two clipped values), the transform counts for nothing,
# never against the candidate.
_HEAVY_CLIP = {"float32": 1e6, "float64": 1e6}
_HEAVY_CLIP_HALF = 1e3


def _heavy_tailed(x):
    import math

    import torch

    clip = _HEAVY_CLIP.get(str(x.dtype).removeprefix("torch."), _HEAVY_CLIP_HALF)
    cauchy = torch.tan(math.pi * (torch.special.ndtr(x.double()) - 0.5))  # a Cauchy draw from a normal one
    return cauchy.clamp(-clip, clip).to(x.dtype)


def _quantised(x):
    import torch

    return torch.floor(x * 2) / 2  # halves: a row of 300 holds ties, and zeros where 0 <= x < 0.5


_TRANSFORMS = {
    "negated": (NEGATE, lambda x: -x),
    "scaled by 64": (SCALE, lambda x: x * 64),
    "shifted by -8": (SHIFT, lambda x: x - 8),
    "made non-negative": (ABS, lambda x: x.abs()),
    "mapped to uniform [0, 1)": (UNIFORM, _uniform),
    "heavy-tailed": (HEAVY, _heavy_tailed),
    "quantised to halves": (QUANTISE, _quantised),
    "scaled by 1/64": (SCALE, lambda x: x / 64),
}


def _domains(inputs: list, input_domains) -> list[str | None]:
    """Per input, its domain's name (None for a non-tensor): "unspecified" for every tensor without domains,
    with a count of domains other than the tensors', or with a name the domains do not know."""
    import torch

    tensors = [x for x in inputs if isinstance(x, torch.Tensor)]
    declared = iter(input_domains if input_domains and len(input_domains) == len(tensors) else ())
    names = []
    for x in inputs:
        if not isinstance(x, torch.Tensor):
            names.append(None)
            continue
        domain = next(declared, "unspecified")
        try:
            names.append(parse_domain(domain)[0].name)
        except ValueError:
            names.append("unspecified")
    return names


def _transformable(inputs: list, input_domains, kind: str) -> list[bool]:
    """Per input: whether transform `kind` applies (a float tensor whose domain survives it). Without
    domains, or with a count other than the tensors', every float tensor is transformed (where the
    reference tolerates it: `_kept_inputs`)."""
    return [domain is not None and x.is_floating_point() and kind in DOMAINS[domain].transforms
            for x, domain in zip(inputs, _domains(inputs, input_domains))]


def _redraw_parameters(worker: SandboxWorker, redrawn: list, generator, *, model, draw_inputs,
                       device: str, unused: set) -> Verdict | None:
    """Re-draw the reference's constant-initialised tensors (`filters.verifier.parameters`) and give the candidate
    the same values; a rejection where a re-drawn tensor that the output depends on has no candidate tensor
    to receive it. `unused` collects (once) the unmatched ones it does not depend on (a BatchNorm's running
    statistics in training mode), which a candidate need not hold."""
    if not redrawn:
        return None
    values = redraw(redrawn, generator)
    answer = worker.set_parameters([key for key, _, _ in redrawn], [c for _, _, c in redrawn], values)
    unmatched = [name for name in answer.get("unmatched") or () if name not in unused]
    if answer.get("ok") and unmatched:
        unused.update(_unused_tensors(model, [e for e in redrawn if e[0] in unmatched], generator,
                                      draw_inputs=draw_inputs, device=device))
    unmatched = [name for name in unmatched if name not in unused]
    violation = _sandbox_violation(answer)
    if violation:
        return violation
    if not answer.get("ok"):
        return Verdict.reject(Reason.RUNTIME_ERROR, f"the candidate's tensors refuse the reference's re-drawn "
                              f"values: {_one_line(answer)}", error_detail=_error_detail(answer))
    if unmatched:
        names = [str(name) for name in unmatched[:3]]
        return Verdict.reject(
            Reason.PARAMETER_UNMATCHED,
            f"the reference's {_listed(names)} (re-drawn per seed: its default initialisation is constant) has "
            "no candidate tensor to receive it (none of the same state_dict key, or of the same size still "
            "holding the same initial value), so the candidate cannot show it uses it.")
    return None


def _unused_tensors(model, entries: list, generator, *, draw_inputs, device: str) -> set[str]:
    """The keys of `entries` (re-drawn reference tensors) that the reference's output does not depend on:
    re-drawing them again leaves its output on a fresh draw bit-identical."""
    import torch

    try:
        inputs = [_to(x, device) for x in draw_inputs()]
        with torch.no_grad():
            before = [e.detach().clone() for e in _as_list(model(*inputs))]
            redraw(entries, generator)
            after = [e.detach() for e in _as_list(model(*inputs))]
    except Exception:  # noqa: BLE001 - the seeds report a reference that fails; here it counts as used
        return set()
    same = len(before) == len(after) and all(_bitwise_equal(a, b) for a, b in zip(before, after))
    return {key for key, _, _ in entries} if same else set()


def _kept_inputs(model, first_inputs: list, input_domains, allowed: dict[str, list[bool]], *,
                 reference_code: str, runtime: Runtime) -> dict[str, list[bool]]:
    """Per transform name, the inputs it changes: those `allowed` (`_transformable`) names, less each
    undeclared one the reference fails on when transformed, as a CPU copy of it shows (once per problem:
    `runtime.probes`)."""
    import copy

    import torch

    undeclared = [domain == "unspecified" for domain in _domains(first_inputs, input_domains)]
    plans = {name: (transform, allowed[name], [ok and open_ for ok, open_ in zip(allowed[name], undeclared)])
             for name, (_, transform) in _TRANSFORMS.items()}
    cpu_model = []

    def run(inputs: list) -> list:
        if not cpu_model:  # copied only when a probe runs: once per problem
            cpu_model.append(model if runtime.device == "cpu" else copy.deepcopy(model).to("cpu"))
        with torch.no_grad():
            return [e.detach() for e in _as_list(cpu_model[0](*[_to(x, "cpu") for x in inputs]))]

    key = (hashlib.sha256(reference_code.encode()).hexdigest(), tuple(input_domains or ()),
           _shape_key(first_inputs))
    return runtime.probes.kept_inputs(key, run, first_inputs, plans)


# Several candidates are judged at once, each in a thread of this process (verify-batch, the pipeline's
# verifier actor), and the reference's get_init_inputs(), Model(...) and get_inputs() draw from torch's one
# global generator. Seeding and drawing must be one step: another thread's draw between our manual_seed
# and our Model(...) gives the reference other weights than the candidate's (drawn from the same seed in
# its own process), and a correct kernel is rejected for a mismatch (seen on an H200: about one in six
# candidates of a matmul + bias problem, four judged at a time).
_GLOBAL_RNG = threading.Lock()


@contextlib.contextmanager
def _seeded(seed: int):
    """Hold torch's global generator, seeded with `seed`, for the draws made inside."""
    import torch

    with _GLOBAL_RNG:
        torch.manual_seed(seed)
        yield


def _run_checks(reference, reference_code: str, candidate_code: str, *, dtype: str, atol: float, rtol: float,
                options: VerifyOptions, runtime: Runtime, flops: float | None,
                input_domains: list[str] | None = None) -> Verdict:
    device = runtime.torch_device
    init_seed = disguise.seed()
    with _seeded(init_seed):
        init_inputs = list(reference.get_init_inputs())
        model = reference.Model(*init_inputs)
    model = model.to(device)  # in the mode the problem defines: no .eval() it did not ask for

    try:
        worker = runtime.acquire_worker(options)
    except SandboxError as err:
        return Verdict.reject(_SANDBOX_REASONS[err.reason], f"the sandboxed worker failed to start: {err.message}.")
    retire, verdict = "interrupted", None
    try:
        verdict = _checks_in_worker(worker, model, reference, reference_code, candidate_code, init_inputs, init_seed,
                                    dtype=dtype, atol=atol, rtol=rtol, options=options, runtime=runtime, flops=flops,
                                    input_domains=input_domains)
        retire, verdict = _unload(worker, verdict, runtime)
    except SandboxError as err:
        retire = err.reason
        verdict = Verdict.reject(_SANDBOX_REASONS[err.reason], err.message + ".")
    finally:
        runtime.release_worker(worker, options, retire=retire)
    return verdict


def _unload(worker: SandboxWorker, verdict: Verdict, runtime: Runtime) -> tuple[str | None, Verdict]:
    """End the candidate's session. Returns why the worker must be retired (None: it may serve another)
    and the verdict: a candidate not already rejected is rejected for changing the worker's process."""
    if verdict.check is Check.SANDBOX:
        return "sandbox violation", verdict
    answer = worker.unload()
    if answer.get("changes"):
        runtime.count_changes(answer["changes"])
        if verdict.status is not Status.REJECTED:
            verdict = Verdict.reject(
                Reason.PROCESS_TAMPERING,
                f"the candidate changed the verifier's process: {'; '.join(answer['changes'][:3])}.",
                max_abs_err=verdict.max_abs_err, max_rel_err=verdict.max_rel_err)
        return "process changed", verdict
    if answer.get("unhealthy"):
        return "GPU context failed", verdict
    return None, verdict


def _checks_in_worker(worker: SandboxWorker, model, reference, reference_code: str, candidate_code: str,
                      init_inputs: list, init_seed: int, *, dtype: str, atol: float, rtol: float,
                      options: VerifyOptions, runtime: Runtime, flops: float | None,
                      input_domains: list[str] | None) -> Verdict:
    """Load the candidate in `worker`, run every check, and on a GPU time it. Raises SandboxError when the
    worker faults."""
    import torch

    device = runtime.torch_device
    worst_abs = worst_rel = 0.0
    on_gpu = options.device != "cpu"
    if on_gpu:
        runtime.pin_for_compiling(worker.pid)
    with runtime.phase("load"):
        header, _ = worker.load(candidate_code, init_inputs, init_seed, deadline=time.monotonic() + options.timeout_s,
                               reference_source=reference_code if on_gpu else None)
    runtime.add_child_phases(header)
    if not header.get("ok") and header.get("kind") == "interpreter_limit" and not on_gpu:
        return _interpreter_limit(header)
    if not header.get("ok"):
        return _sandbox_violation(header) or \
            Verdict.reject(Reason.IMPORT_ERROR, f"the candidate fails to load: {_one_line(header)}",
                           error_detail=_error_detail(header))
    plain_scale = []
    evidence: dict = {}  # across calls: outputs that were PyTorch copies the kernels wrote over
    atomic_accumulation = _adds_atomically(candidate_code)

    def check(inputs: list, what: str, *, variant: int, transformed: bool = False, poison: str | None = None,
              reuse_inputs: bool = False, grad: bool | None = None):
        nonlocal worst_abs, worst_rel
        try:
            with torch.no_grad(), runtime.phase("reference"):
                expected = [e.detach().to("cpu") for e in _as_list(model(*[_to(x, device) for x in inputs]))]
        except Exception as err:
            if not transformed:  # get_inputs() draws the problem's own domain: the problem is broken
                first_line = (str(err).strip().splitlines() or [""])[0]
                raise ReferenceError_(f"the reference fails on {what}: {type(err).__name__}: {first_line}") from None
            if on_gpu:  # a device-side assert leaves this process's CUDA context unusable: nothing to go on with
                raise
            # On CPU the process is intact: a draw the probe did not foresee costs the transform, as there.
            raise _TransformRefused() from None
        scale = _rms(expected)
        if not transformed:
            plain_scale.append(scale)
            tolerance = atol
        elif not all(bool(torch.isfinite(e).all()) for e in expected if e.is_floating_point()):
            return None, None  # the reference itself overflows: nothing to hold the candidate to
        else:
            # Outputs grow with scaled inputs (by 64**2 for a matmul), and so does the rounding error
            # of an exact-in-exact-arithmetic kernel: scale the absolute tolerance with them.
            tolerance = atol * max(1.0, scale / max(plain_scale[0], 1e-30))
        worker.max_result_bytes = 4 * sum(_nbytes(x) for x in inputs) + (64 << 20)
        with runtime.phase("run"):
            outputs, problem = _run_candidate(worker, inputs, dtype=dtype, variant=variant, runtime=runtime,
                                              poison=poison or disguise.poison_mode(),
                                              reuse_inputs=reuse_inputs, evidence=evidence, grad=grad)
        if problem:
            return None, problem
        with runtime.phase("compare"):
            problem, max_abs, max_rel = _compare(outputs, expected, dtype=dtype, atol=tolerance, rtol=rtol)
        if problem is not None and problem.reason_code is Reason.MISMATCH:
            problem, max_abs, max_rel = _compare_against_truth(
                model, inputs, outputs, expected, (problem, max_abs, max_rel), dtype=dtype, atol=tolerance, rtol=rtol)
        if problem is None:
            problem = _compare_error_model(model, inputs, outputs, expected, device,
                                           atomic_accumulation=atomic_accumulation)
        worst_abs, worst_rel = max(worst_abs, max_abs), max(worst_rel, max_rel)
        if problem:
            return None, _with(problem, reason=problem.reason[:-1] + f" on {what}.",
                               max_abs_err=max_abs, max_rel_err=max_rel)
        return outputs, None

    def extra_calls() -> Verdict | None:
        """A secret number of calls on fresh inputs (checked like any other) before the next checked call,
        so a kernel counting its calls in a tensor cannot know which calls are checked or how many."""
        for _ in range(disguise.extra_calls()):
            with _seeded(disguise.seed()):
                extra = list(reference.get_inputs())
            _, problem = check(extra, "unseen inputs (an extra call)", variant=disguise.variant())
            if problem:
                return problem
        return None

    first_inputs = None
    redrawn, unused = constant_tensors(model), set()
    parameter_rng = torch.Generator().manual_seed(disguise.seed(63))

    def draw_inputs() -> list:
        with _seeded(disguise.seed()):
            return list(reference.get_inputs())

    for index in range(options.num_seeds):
        problem = _redraw_parameters(worker, redrawn, parameter_rng, model=model, draw_inputs=draw_inputs,
                                     device=device, unused=unused)
        # Extra calls before the first checked call and after the last (below): where checked calls fall
        # and how many come is secret, at about one extra call per candidate on average.
        if problem is None and index == 0:
            problem = extra_calls()
        if problem:
            return problem
        with _seeded(disguise.seed()):
            inputs = list(reference.get_inputs())
        modes = disguise.repeat_modes() if index == 0 else (None, None)
        grad = disguise.grad_mode() if index == 0 else None
        outputs, problem = check(inputs, f"unseen inputs #{index + 1}", variant=index, poison=modes[0], grad=grad)
        if problem:
            return problem
        if index == 0:
            first_inputs = inputs
            problem = _repeat_checks(worker, reference, inputs, outputs, check, dtype=dtype, variant=index,
                                     poison=modes[1], grad=not grad, runtime=runtime, evidence=evidence,
                                     errors={"max_abs_err": worst_abs, "max_rel_err": worst_rel})
            if problem:
                return problem
    transformed, refused = 0, []
    allowed = {name: _transformable(first_inputs, input_domains, kind) for name, (kind, _) in _TRANSFORMS.items()}
    with runtime.phase("probe reference"):
        kept = _kept_inputs(model, first_inputs, input_domains, allowed, reference_code=reference_code,
                            runtime=runtime)
    for number, (name, (_, transform)) in enumerate(_TRANSFORMS.items()):
        if not any(allowed[name]):
            continue
        if not any(kept[name]):
            refused.append(name)
            continue
        inputs = [transform(x) if on else x for x, on in zip(first_inputs, kept[name])]
        try:
            outputs, problem = check(inputs, f"inputs {name}", variant=options.num_seeds + number,
                                     transformed=True)
        except _TransformRefused:
            refused.append(name)
            continue
        if problem:
            return problem
        transformed += outputs is not None

    problem = extra_calls() or _copy_written_back(evidence)
    if problem:
        return _with(problem, max_abs_err=worst_abs, max_rel_err=worst_rel)
    checked = f"{options.num_seeds} unseen inputs and {transformed} transforms of them"
    if refused:  # said only where the reference's own failure lowered the count
        checked += f" ({len(refused)} skipped: the reference itself fails on its inputs {_listed(refused)})"
    if not on_gpu:
        return Verdict.accept(
            f"matches the reference on {checked} (max abs err {worst_abs:.2e}) under the Triton "
            "interpreter; speed is not measured on CPU.", max_abs_err=worst_abs, max_rel_err=worst_rel)
    verdict = _timed_verdict(worker, first_inputs, reference_code=reference_code, dtype=dtype, flops=flops,
                             options=options, runtime=runtime, checked=checked,
                             errors={"max_abs_err": worst_abs, "max_rel_err": worst_rel})
    if verdict.status is not Status.ACCEPTED:
        return verdict
    # Timing made many more calls than the checks: a kernel that counts its calls and turns to a stored
    # or stale result once past the checks is caught by one more checked call after them.
    with _seeded(disguise.seed()):
        inputs = list(reference.get_inputs())
    _, problem = check(inputs, "unseen inputs after timing", variant=disguise.variant())
    return _with(problem, runtime_ms=verdict.runtime_ms) if problem else verdict


def _repeat_checks(worker: SandboxWorker, reference, inputs: list, outputs: list, check, *, dtype: str,
                   variant: int, poison: str, grad: bool, runtime: Runtime, evidence: dict,
                   errors: dict) -> Verdict | None:
    """State kept across calls cannot change results (issue 15 section 5). The same inputs again must give
    the same bits (under other poison: a kernel reading its uninitialised output to spot verification
    disagrees with itself); then the very same input objects, at the same addresses and shapes, with part
    of their contents redrawn must give the reference's answer for the new contents (a cache keyed by
    address, shape, object or a sample of the values returns the stale answer). The repeat runs in the
    other grad mode than the first run (`grad`)."""
    again, problem = _run_candidate(worker, inputs, dtype=dtype, variant=variant, runtime=runtime,
                                    poison=poison, evidence=evidence, grad=grad)
    if problem:
        return problem
    if not all(_bitwise_equal(a, b) for a, b in zip(outputs, again)):
        return Verdict.reject(Reason.NONDETERMINISTIC, "two runs of the candidate on the same inputs disagree.",
                              **errors)
    with _seeded(disguise.seed()):
        other = list(reference.get_inputs())
    changed = _partly_changed(inputs, other)
    try:
        _, problem = check(changed, "the same input tensors with part of their contents changed",
                           variant=variant, reuse_inputs=True)
    except ReferenceError_:
        # The reference refuses the mixed draw (its inputs are related across elements): the same objects
        # with their own contents still defeat a cache keyed by a fresh object's address.
        _, problem = check(inputs, "the same input tensors again", variant=variant, reuse_inputs=True)
    return problem


def _partly_changed(inputs: list, other: list) -> list:
    """`inputs` with a random part of each tensor's elements (a contiguous run and scattered ones) taken
    from `other`, a second draw of the same problem's inputs, so every value stays in the input's domain."""
    import torch

    generator = torch.Generator().manual_seed(disguise.seed())
    changed = []
    for x, y in zip(inputs, other):
        # Only floating-point tensors: integer ones are often indices or lengths that agree with each other.
        if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor) or x.shape != y.shape \
                or x.dtype != y.dtype or not x.numel() or not x.is_floating_point():
            changed.append(x)
            continue
        flat_x, flat_y = x.reshape(-1), y.reshape(-1)
        take = torch.rand(flat_x.numel(), generator=generator) < 0.05
        length = max(1, flat_x.numel() // 8)
        start = int(torch.randint(0, flat_x.numel() - length + 1, (1,), generator=generator))
        take[start:start + length] = True
        changed.append(torch.where(take, flat_y, flat_x).reshape(x.shape))
    return changed


def _timed_verdict(child: SandboxWorker, inputs: list, *, reference_code: str, dtype: str,
                   flops: float | None, options: VerifyOptions, runtime: Runtime, checked: str,
                   errors: dict) -> Verdict:
    """Time the candidate and its baselines on the GPU and apply the timing and speed rules."""
    hardware = _fingerprint(options.device)
    compile_key = (hashlib.sha256(reference_code.encode()).hexdigest(), hardware, _shape_key(inputs))

    def warm_and_time(baselines: list[str]) -> dict:
        # Compile the baseline and warm everything up outside the timing lock: torch.compile takes seconds.
        with runtime.phase("warm+compile" if "compile" in baselines else "warm"):
            answer = child.time(inputs, flush_bytes=0, baselines=baselines, budget_ms=0, warm_only=True)
        if not answer.get("ok"):
            return answer
        with runtime.phase("wait for GPU"):
            runtime.timing_lock.acquire()
        try:  # one child times at a time; the others compile meanwhile
            with runtime.phase("time"):
                runtime.pin_for_timing(child.pid)
                return child.time(inputs, flush_bytes=runtime.flush_bytes(), baselines=baselines,
                                  budget_ms=options.timing_budget_ms, max_calls=options.max_timed_calls)
        finally:
            runtime.timing_lock.release()

    baselines = [b for b in options.baselines if b != "compile"]
    header = None
    if "compile" in options.baselines and compile_key not in runtime.compile_baselines:
        compile_lock = runtime.compile_lock(compile_key)
        with runtime.phase("wait for compile baseline"):
            compile_lock.acquire()
        try:
            if compile_key not in runtime.compile_baselines:
                header = warm_and_time(baselines + ["compile"])
                if header.get("ok"):
                    runtime.compile_baselines[compile_key] = header["timings"]["compile"]
        finally:
            compile_lock.release()
    if header is None:
        header = warm_and_time(baselines)
    if not header.get("ok"):
        violation = _sandbox_violation(header)
        if violation:
            return _with(violation, **errors)
        kind = header.get("kind")
        reason = Reason.BACKGROUND_WORK if kind == "background_work" else Reason.RUNTIME_ERROR
        return Verdict.reject(reason, f"the candidate fails when timed: {_one_line(header)}",
                              error_detail=_error_detail(header), **errors)
    timings = header["timings"]
    candidate, overhead = timings["candidate"], timings["overhead"]
    cached_compile = runtime.compile_baselines.get(compile_key)
    # A call costs what the device events saw or what the host clock saw beyond the harness, whichever is
    # more: work hidden from the events is never free, even below the mismatch threshold.
    hidden = hidden_work_ms(candidate, overhead)
    runtime_ms = candidate["event"]["median_ms"] + max(0.0, hidden)
    eager_ms = timings["eager"]["event"]["median_ms"] if "eager" in timings else None
    compile_ms = cached_compile["event"]["median_ms"] if cached_compile else None
    measures = dict(errors, runtime_ms=runtime_ms,
                    speedup_vs_eager=eager_ms / runtime_ms if eager_ms else None,
                    speedup_vs_compile=compile_ms / runtime_ms if compile_ms else None)

    if hidden > options.hidden_work_slack_ms + options.hidden_work_slack_fraction * runtime_ms:
        return Verdict.reject(
            Reason.TIMING_MISMATCH,
            f"device events saw {candidate['event']['median_ms']:.4f} ms per call but the host clock {hidden:.4f} ms "
            "more than the "
            "harness accounts for: work outside the timed stream.", **measures)

    peaks = runtime.peaks()
    input_bytes = sum(_nbytes(x) for x in inputs)
    floor_ms = input_bytes / peaks["bytes_per_s"] * 1e3
    if flops and dtype in peaks["flops_per_s"]:
        floor_ms = max(floor_ms, flops / peaks["flops_per_s"][dtype] * 1e3)
    if runtime_ms < options.roofline_margin * floor_ms:
        return Verdict.reject(
            Reason.IMPLAUSIBLE_SPEEDUP,
            f"quarantined: {runtime_ms:.4f} ms is faster than the roofline floor of {floor_ms:.4f} ms from this "
            "device's measured peaks.", **measures)
    speedup = measures["speedup_vs_eager"]
    if speedup is not None and speedup > options.max_plausible_speedup:
        return Verdict.reject(
            Reason.IMPLAUSIBLE_SPEEDUP,
            f"quarantined: {speedup:.1f}x over eager is above the plausibility bound of "
            f"{options.max_plausible_speedup:g}x.", **measures)
    if speedup is not None and speedup < options.min_speedup:
        return Verdict.reject(
            Reason.TOO_SLOW,
            f"correct on {checked}, but {speedup:.2f}x eager ({runtime_ms:.4f} ms vs {eager_ms:.4f} ms) is below "
            f"the required {options.min_speedup:g}x (host-clock excess {hidden:.4f} ms).", **measures)
    spread = candidate["event"]["iqr_ms"]
    versus = f"{speedup:.2f}x eager" if speedup is not None else "no eager baseline"
    if measures["speedup_vs_compile"] is not None:
        versus += f", {measures['speedup_vs_compile']:.2f}x torch.compile"
    return Verdict.accept(
        f"matches the reference on {checked}; {runtime_ms:.4f} ms (IQR {spread:.4f}, host-clock excess "
        f"{hidden:.4f}) per call, {versus}.",
        **measures)


def _rms(tensors: list) -> float:
    import torch

    values = [t.to(torch.float64) for t in tensors if t.is_floating_point() and t.numel()]
    finite = [v[torch.isfinite(v)] for v in values]
    total = sum(float((v * v).sum()) for v in finite)
    count = sum(v.numel() for v in finite)
    return math.sqrt(total / count) if count else 0.0


def _shape_key(inputs: list) -> str:
    return ";".join(f"{tuple(x.shape)}:{x.dtype}" if hasattr(x, "shape") else repr(x) for x in inputs)


_VIOLATION_REASONS = {"network_access": Reason.NETWORK_ACCESS, "file_write": Reason.FILE_WRITE,
                      "process_spawn": Reason.PROCESS_SPAWN, "signal_sent": Reason.SIGNAL_SENT}


def _sandbox_violation(header: dict) -> Verdict | None:
    """A child's answer that reports something the sandbox refused, as a verdict."""
    if header.get("kind") != "sandbox":
        return None
    reason = _VIOLATION_REASONS.get(header.get("reason"), Reason.CRASHED)
    return Verdict.reject(reason, f"the sandbox refused: {_one_line(header)}.")


def _run_candidate(child: SandboxWorker, inputs: list, *, dtype: str, variant: int,
                   runtime: Runtime | None = None, poison: str = "nan", reuse_inputs: bool = False,
                   evidence: dict | None = None, grad: bool | None = None):
    """Run the candidate once in `child` and apply the run-time rules. `poison` is what its fresh
    allocations hold (filters.verifier.disguise), `reuse_inputs` runs it on the previous call's input objects with
    these contents, and `evidence` (when given) counts, across calls, outputs that were a PyTorch copy
    the kernels wrote over (`copy_born`) and those they wrote back unchanged (`copy_unchanged`). `grad`
    (None: a secret coin) runs forward with autograd on, as in training, or off, as in inference, so that
    grad mode does not tell verification from use."""
    first_run = not child.runs
    header, blobs = child.run(inputs, variant, poison=poison, poison_seed=disguise.seed(),
                              reuse_inputs=reuse_inputs, grad=disguise.grad_mode() if grad is None else grad)
    if runtime is not None:
        runtime.add_child_phases(header, first_run=first_run)
    violation = _sandbox_violation(header)
    if violation:
        return None, violation
    if not header.get("ok") and header.get("kind") == "interpreter_limit" and child.device == "cpu":
        return None, _interpreter_limit(header)
    if not header.get("ok"):
        kind = header.get("kind")
        reason = {"compile_error": Reason.COMPILE_ERROR, "bad_output": Reason.BAD_OUTPUT,
                  "background_work": Reason.BACKGROUND_WORK}.get(kind, Reason.RUNTIME_ERROR)
        return None, Verdict.reject(reason, f"the candidate fails when run: {_one_line(header)}",
                                    error_detail=_error_detail(header))
    if header.get("launches", 0) < 1:
        return None, Verdict.reject(Reason.NO_KERNEL_LAUNCHED, "forward returned without launching a Triton kernel.")
    if header.get("aliases_input"):
        return None, Verdict.reject(Reason.OUTPUT_ALIASES_INPUT, "the output shares memory with an input.")
    if header.get("torch_compute"):
        return None, Verdict.reject(Reason.TORCH_COMPUTE, f"forward computed with PyTorch "
                                    f"({', '.join(header['torch_compute'])}), not only with Triton kernels.")
    narrowing = [cast for cast in header.get("narrowing", ()) if _narrower(cast.split("->")[1], dtype)]
    if narrowing:
        return None, Verdict.reject(Reason.LOWERED_PRECISION, f"forward cast data to a narrower type than the "
                                    f"spec's {dtype} ({narrowing[0]}).")
    if header.get("unproven_output"):
        return None, Verdict.reject(Reason.OUTPUT_NOT_FROM_KERNEL, header["unproven_output"] + ".")
    if header.get("reused_output"):
        return None, Verdict.reject(Reason.OUTPUT_REUSED, header["reused_output"] + ".")
    if evidence is not None and header.get("state_written"):
        # A tensor the model holds, written on more than one call: state kept across calls (a call counter, a
        # cache keyed by what it saw). A lazy one-time initialisation writes on one call only.
        written = evidence.setdefault("state_written", {})
        for name in header["state_written"]:
            written[name] = written.get(name, 0) + 1
        repeated = [name for name, calls in written.items() if calls > 1]
        if repeated:
            return None, Verdict.reject(Reason.KERNEL_STATE, f"forward wrote the model's own tensor {repeated[0]!r} on "
                                        f"{written[repeated[0]]} calls: state kept across calls can change results.")
    if evidence is not None and header.get("copy_born"):
        evidence["copy_born"] = evidence.get("copy_born", 0) + 1
        evidence["copy_unchanged"] = evidence.get("copy_unchanged", 0) + bool(header.get("copy_unchanged"))
    try:
        outputs = tensors_from_bytes(blobs[0])
        inputs_after = tensors_from_bytes(blobs[1])
    except Exception as err:  # noqa: BLE001 - a malformed answer from the child is a verdict
        return None, Verdict.reject(Reason.BAD_OUTPUT, f"the candidate's output could not be read: {type(err).__name__}.")
    if len(inputs_after) != len(inputs) or not all(_bitwise_equal(a, b) for a, b in zip(inputs, inputs_after)):
        return None, Verdict.reject(Reason.INPUT_MUTATED, "the candidate changed its inputs.")
    wrong_device = [d for d in header.get("devices", []) if d != child.device]
    if wrong_device:
        return None, Verdict.reject(Reason.BAD_OUTPUT,
                                    f"the output is on {wrong_device[0]}, not on the inputs' device {child.device}.")
    return outputs, None


def _interpreter_limit(header: dict) -> Verdict:
    """The candidate reached what the CPU interpreter cannot run (the child says what: `gap`)."""
    gap = str(header.get("gap") or "the Triton interpreter cannot run it")[:300]
    return Verdict.unverified(Reason.INTERPRETER_LIMIT, f"not verifiable on CPU: {gap}.",
                              error_detail=_error_detail(header))


def _copy_written_back(evidence: dict) -> Verdict | None:
    """Rejects when, on every checked call, the output was a PyTorch copy the kernels only wrote back."""
    born = evidence.get("copy_born", 0)
    if born and evidence.get("copy_unchanged", 0) == born:
        return Verdict.reject(Reason.OUTPUT_NOT_FROM_KERNEL,
                              "the output was a PyTorch copy that the kernels only wrote back unchanged, on "
                              "every call: the copy, not a kernel, produced it.")
    return None


def _compare_against_truth(model, inputs: list, outputs: list, expected: list, first: tuple, *, dtype: str,
                           atol: float, rtol: float):
    """Compare again where fixed tolerances failed, with what the float64 truth says an honest kernel may
    be off by (`filters.verifier.truth`): first the reference's own error, then, only if that is not enough, the
    spread rounding causes on an ill-conditioned problem. Returns `_compare`'s triple (`first`, the fixed
    tolerances' triple, where the problem has no float64 path)."""
    truth = float64_truth(model, inputs)
    slack = reference_error(expected, truth) if truth else None
    if slack is None:
        return first
    problem, max_abs, max_rel = _compare(outputs, expected, dtype=dtype, atol=atol, rtol=rtol,
                                         reference_error=slack)
    if problem is None or problem.reason_code is not Reason.MISMATCH:
        return problem, max_abs, max_rel
    spread = rounding_spread(truth, dtype)
    if spread is None:
        return problem, max_abs, max_rel
    return _compare(outputs, expected, dtype=dtype, atol=atol, rtol=rtol,
                    reference_error=[e + s for e, s in zip(slack, spread)])


def _compare_error_model(model, inputs: list, outputs: list, expected: list, device: str = "cpu", *,
                         atomic_accumulation: bool = False) -> Verdict | None:
    """For fp16 / bf16 outputs that passed the tolerances: reject a kernel further from the float64 truth
    than an honest one (fp32 arithmetic, one rounding to the output dtype: `filters.verifier.truth`) at more than a
    few elements. fp16's atol/rtol of 1e-2 are ~10 ulps wide, so they cannot see an fp16 accumulator at a
    short inner size; the error model can. The fp32-level rounding spread (8 float64 forwards) is measured
    only where the plain model is exceeded. A candidate no further from the truth than the reference itself
    (`no_less_precise`) keeps the reference's precision, whatever the model says. `atomic_accumulation`
    (the candidate adds into its outputs with atomics) allows the rounding of an fp16 accumulation
    (`filters.verifier.truth.magnitude_sum`)."""
    import torch

    half = (torch.float16, torch.bfloat16)
    if not any(isinstance(e, torch.Tensor) and e.dtype in half for e in expected):
        return None
    truth = float64_truth(model, inputs, device)
    if truth is None or len(truth.outputs) != len(expected):
        return None  # no float64 path: the fixed tolerances are all there is
    beyond, checked = beyond_honest_error(truth, expected, outputs)
    if not too_far(beyond, checked) or no_less_precise(truth, expected, outputs):
        return None
    spread = rounding_spread(truth, "float32")
    magnitudes = magnitude_sum(truth) if atomic_accumulation else None
    if spread is not None or magnitudes is not None:
        beyond, checked = beyond_honest_error(truth, expected, outputs, spread=spread, magnitudes=magnitudes)
        if not too_far(beyond, checked):
            return None
    return Verdict.reject(
        Reason.LOWERED_PRECISION,
        f"{beyond} of {checked} half-precision output elements are more than one ulp (plus the reference's own "
        "error) from the float64 truth, where a kernel computing in fp32 and rounding once is within it: "
        "arithmetic below the precision the reference keeps (an fp16/bf16 accumulator?).")


def _adds_atomically(candidate_code: str) -> bool:
    """Whether the candidate calls an atomic add (`tl.atomic_add`, or the name imported): its half-precision
    outputs may carry the rounding of an fp16 accumulation (`_compare_error_model`). The code has passed the
    static gate, so it parses."""
    for node in ast.walk(ast.parse(candidate_code)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name == "atomic_add":
                return True
    return False


def _compare(outputs: list, expected: list, *, dtype: str, atol: float, rtol: float,
             reference_error: list | None = None):
    """(rejecting verdict or None, max abs error, relative L2 error) over all outputs. With
    `reference_error` (per output element, what an honest kernel may be off by: `_compare_against_truth`),
    each bound grows by twice it."""
    import torch

    if len(outputs) != len(expected):
        return Verdict.reject(Reason.BAD_OUTPUT, f"forward returned {len(outputs)} tensors, expected {len(expected)}."), \
            math.nan, math.nan
    max_abs = max_rel = 0.0
    for number, (out, ref) in enumerate(zip(outputs, expected)):
        if out.shape != ref.shape or out.dtype != ref.dtype:
            return Verdict.reject(
                Reason.BAD_OUTPUT,
                f"the output is {out.dtype} {tuple(out.shape)}, expected {ref.dtype} {tuple(ref.shape)}."), \
                math.nan, math.nan
        o, r = out.to(torch.float64), ref.to(torch.float64)
        finite = torch.isfinite(r)
        if bool((~torch.isfinite(o) & finite).any()):
            return Verdict.reject(Reason.NON_FINITE, "the output holds NaN or Inf where the reference is finite."), \
                math.inf, math.inf
        # Where the reference itself is NaN or Inf, the candidate must match it exactly.
        if bool((~finite & ~((o == r) | (torch.isnan(o) & torch.isnan(r)))).any()):
            return Verdict.reject(Reason.MISMATCH, "the output differs where the reference is NaN or Inf."), \
                math.inf, math.inf
        diff = torch.where(finite, (o - r).abs(), torch.zeros_like(o))
        ref_abs = torch.where(finite, r.abs(), torch.zeros_like(r))
        this_abs = float(diff.max()) if diff.numel() else 0.0
        norm_ref = float(torch.linalg.vector_norm(ref_abs))
        this_rel = float(torch.linalg.vector_norm(diff)) / norm_ref if norm_ref > 0 else this_abs
        max_abs, max_rel = max(max_abs, this_abs), max(max_rel, this_rel)
        ref_err = reference_error[number] if reference_error is not None else torch.zeros_like(diff)
        ref_err = torch.where(finite, ref_err, torch.zeros_like(ref_err))
        rel_slack = 2 * float(torch.linalg.vector_norm(ref_err)) / norm_ref if norm_ref > 0 else 0.0
        bad = diff > atol + rtol * ref_abs + 2 * ref_err
        if bool(bad.any()):
            count = int(bad.sum())
            return Verdict.reject(
                Reason.MISMATCH,
                f"{count} of {diff.numel()} output elements differ beyond atol={atol:g}, rtol={rtol:g} "
                f"(max abs err {this_abs:.3g}; {_where(bad)})."), max_abs, max_rel
        if this_rel > RELATIVE_NORM_TOL[dtype] + rel_slack:
            return Verdict.reject(
                Reason.MISMATCH,
                f"relative L2 error {this_rel:.3g} exceeds {RELATIVE_NORM_TOL[dtype] + rel_slack:g} for {dtype}."), \
                max_abs, max_rel
    return None, max_abs, max_rel


def _where(bad) -> str:
    """Where the wrong elements are, for a teacher to find its bug: the first and last bad index, and the
    rows and columns of a 2-D or larger output that hold any."""
    import torch

    indices = torch.nonzero(bad)
    first, last = (tuple(int(i) for i in indices[k]) for k in (0, -1))
    where = f"first at index {first}, last at {last}"
    if bad.dim() >= 2:
        rows = torch.nonzero(bad.reshape(-1, bad.shape[-1]).any(dim=1)).flatten()
        cols = torch.nonzero(bad.reshape(-1, bad.shape[-1]).any(dim=0)).flatten()
        where += (f", in {len(rows)} of {bad.numel() // bad.shape[-1]} rows and {len(cols)} of "
                  f"{bad.shape[-1]} columns (columns {int(cols[0])} to {int(cols[-1])})")
    return where


def _bitwise_equal(a, b) -> bool:
    """Same shape, dtype and bits (so NaN equals the same NaN, and -0.0 differs from 0.0)."""
    import torch

    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        return type(a) is type(b) and a == b
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    return torch.equal(a.contiguous().reshape(-1).view(torch.uint8), b.contiguous().reshape(-1).view(torch.uint8))


def _narrower(cast_to: str, dtype: str) -> bool:
    """Whether floating type `cast_to` is less precise than the spec's `dtype` (both torch dtype names)."""
    import torch

    target, spec = getattr(torch, cast_to, None), getattr(torch, dtype, None)
    if target is None or spec is None or not spec.is_floating_point:
        return False
    return torch.finfo(target).eps > torch.finfo(spec).eps


def _nbytes(x) -> int:
    return x.numel() * x.element_size() if hasattr(x, "element_size") else 0


def _to(x, device: str):
    return x.to(device) if hasattr(x, "to") else x


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _error_detail(header: dict) -> str | None:
    """The child's whole error message (its last lines, the candidate's frames first), for feedback."""
    message = str(header.get("message", "")).rstrip()
    return message if message.strip() else None


def _one_line(header: dict) -> str:
    message = str(header.get("message", "unknown error")).strip().splitlines()
    return (message[-1] if message else "unknown error")[:300]


def problem_dtype(reference_code: str) -> tuple[str, float, float]:
    """The dtype of a KernelBench-format problem (that of its first floating-point input) and the
    tolerances for it, for problems that arrive without a spec (`kerneldata verify`)."""
    import torch

    from kerneldata.core.spec import TOLERANCES

    reference = load_reference(reference_code)
    try:
        with _seeded(0):
            inputs = list(reference.get_inputs())
    except Exception as err:
        raise ReferenceError_(f"get_inputs() fails: {type(err).__name__}: {err}") from None
    floats = [x for x in inputs if isinstance(x, torch.Tensor) and x.is_floating_point()]
    dtype = str(floats[0].dtype).removeprefix("torch.") if floats else "float32"
    if dtype not in TOLERANCES:
        raise ReferenceError_(f"inputs of dtype {dtype} are not supported; supported: {', '.join(TOLERANCES)}")
    atol, rtol = TOLERANCES[dtype]
    return dtype, atol, rtol


def require_input_dependence(reference_code: str) -> None:
    """Raise ReferenceError_ for a problem whose output is random (the same draw twice differs: the reference
    runs in the mode the problem defines, so a Dropout in training mode draws), or does not depend on its
    inputs: two different draws of get_inputs() (on CPU, the reference's constant-initialised tensors re-drawn once, so a zero-initialised
    weight does not hide the inputs) give bit-identical outputs. Nothing a candidate computes from such inputs
    could be checked. A problem that cannot run on CPU (or raises) is left to the verifier."""
    import torch

    reference = load_reference(reference_code)
    try:
        with _seeded(0):
            model = reference.Model(*reference.get_init_inputs())
        redraw(constant_tensors(model), torch.Generator().manual_seed(1))
        outputs, draws = [], []
        for seed in (2, 3):
            with _seeded(seed):
                draws.append(list(reference.get_inputs()))
        for inputs in draws + draws[:1]:  # the first draw again, the generator where the runs left it
            with torch.no_grad():
                outputs.append([e.detach() for e in _as_list(model(*inputs))])
    except Exception:  # noqa: BLE001 - the verifier reports a reference that fails, with its own message
        return
    first, second, again = outputs
    if len(first) != len(again) or not all(_bitwise_equal(a, b) for a, b in zip(first, again)):
        raise ReferenceError_("the problem's output is random (two runs on the same inputs differ: dropout or "
                              "another random op in training mode?): no kernel could be checked against it")
    if len(first) == len(second) and all(_bitwise_equal(a, b) for a, b in zip(first, second)):
        raise ReferenceError_("the problem's output does not depend on its inputs (two different draws of "
                              "get_inputs() give identical outputs): no kernel could be checked against it")
