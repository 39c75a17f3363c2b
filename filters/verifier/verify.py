"""The verifier's entry: one candidate against its reference, ending in a `Verdict` (`verify`).

Order (DESIGN section 4): the static gate (`filters.verifier.static`); then, in a sandboxed worker process
(`filters.verifier.sandbox`, forked from a zygote when a `Runtime` is given, serving candidates one at a time
and replaced after any fault or any change a candidate made to it: `filters.verifier.integrity`), the checks
of `filters.verifier.checks.CandidateChecks`: load the candidate and run it on inputs drawn from seeds it
cannot predict (`filters.verifier.disguise`), before the reference runs. The outputs come back to this
process, which checks them (plain tensor of the reference's shape and dtype on the right device, no aliasing
of an input, inputs unchanged, kernels actually launched, nothing left running) and compares them with the
reference by max-abs and relative-L2 error (where those fail, with what the float64 truth allows an honest
kernel: `filters.verifier.comparison`, `filters.verifier.truth`). The first seed runs twice and must agree
bit for bit; then the same inputs negated, scaled and shifted, and in other distributions (non-negative,
uniform [0, 1), heavy-tailed, quantised with ties, tiny: `filters.verifier.inputs`), wherever the reference
stays finite, so a kernel that only works on randn (a softmax without its max subtraction, a max or min
reduction padded with zeros, an argmax that breaks ties the other way) fails. The reference's
constant-initialised tensors (norm weights, running statistics) are re-drawn per seed and the candidate's
matching ones get the same values (`filters.verifier.parameters`). A transform changes only inputs whose
declared domain survives it; an input without a declared domain is transformed only where a CPU copy of the
reference tolerates it (`filters.verifier.reference_probe`), so the reference never runs on the device on an
input it would device-assert on (binary cross-entropy on a probability shifted below 0).

On a GPU the candidate is then timed in its child together with the reference's eager and `torch.compile`
baselines, the same way in the same process (`filters.verifier.speed`); the verdict needs the host clock to
agree with the device events (no hidden work), a run no faster than the roofline floor from the device's
measured peaks and no more than `max_plausible_speedup` over eager (else it is quarantined), and at least
`min_speedup` over eager. Under the CPU interpreter no speed is measured: `speedup_*` stay None and the
reason says so.

A spec with several workloads (issue 16) is checked by `filters.verifier.workloads.MultiWorkloadChecks`: all
of the above on the shown workload, then one checked call on each other workload (`shape_specialised` where
it fails there) and, on a GPU, every workload timed, its speedups and their geometric mean recorded.
"""

from __future__ import annotations

import dataclasses
import logging
import time

from kerneldata.core.outcomes import Check, Reason, Status, Verdict
from filters.verifier import disguise
from filters.verifier.answers import SANDBOX_REASONS, as_list, with_measures
from filters.verifier.checks import CandidateChecks, Problem, ReferenceError_, Twin, load_reference
from filters.verifier.comparison import bitwise_equal
from filters.verifier.gpu_memory import footprint_bytes, input_bytes_of, out_of_memory
from filters.verifier.inputs import seeded
from filters.verifier.options import VerifyOptions
from filters.verifier.parameters import constant_tensors, redraw
from filters.verifier.runtime import Runtime, hardware_fingerprint
from filters.verifier.sandbox import SandboxError, SandboxWorker
from filters.verifier.static import static_check
from filters.verifier.workloads import MultiWorkloadChecks, load_workloads

log = logging.getLogger(__name__)

__all__ = ["ReferenceError_", "load_reference", "problem_dtype", "require_input_dependence", "verify"]


def verify(reference_code: str, candidate_code: str, *, dtype: str, atol: float, rtol: float,
           options: VerifyOptions, runtime: Runtime | None = None, flops: float | None = None,
           input_domains: list[str] | None = None, workloads: list | None = None) -> Verdict:
    """Judge one candidate. `runtime` shares a zygote, caches and peaks across calls (see `Runtime`);
    without one, the child is a fresh interpreter and a GPU's peaks are measured for this call alone.
    `flops` (when known from the spec) tightens the roofline floor; `input_domains` (the spec's, one per
    tensor input) limits the input transforms to those that keep each input in its domain. `workloads`
    (`kerneldata.core.spec.Workload`s or their row form): the spec's other workloads, checked and timed too
    (`filters.verifier.workloads`)."""
    started = time.monotonic()
    measures = {"device": options.device, "hardware": hardware_fingerprint(options.device)}
    verdict = static_check(candidate_code, dtype=dtype, device=options.device)
    if verdict is None:
        reference = load_reference(reference_code)
        own_runtime = runtime is None
        runtime = runtime or Runtime(options.device, use_zygote=False)
        parts = [reference_code, candidate_code, dtype, repr(atol), repr(rtol), repr(input_domains)]
        if workloads:  # a single-workload spec keeps the draws it had before specs had several
            parts += [_source(w) for w in workloads]
        key = disguise.verification_key(options.draw_key, *parts)

        def judge() -> Verdict:
            with disguise.drawn_from(key):  # the same draws on a second try
                return _run_checks(reference, reference_code, candidate_code, dtype=dtype, atol=atol, rtol=rtol,
                                   options=options, runtime=runtime, flops=flops, input_domains=input_domains,
                                   workloads=workloads or ())

        try:
            verdict = judge() if runtime.device == "cpu" else _within_memory(judge, reference, workloads or (), runtime)
        finally:
            if own_runtime:
                runtime.close()
    return with_measures(verdict, **measures, verify_seconds=round(time.monotonic() - started, 3))


def _second_instance(reference, problem: Problem, init_inputs: list, device) -> Twin:
    """The reference built a second time, under a public seed (disguise.twin_seed), for the candidate's second
    instance built alike (`CandidateChecks.second_instance`)."""
    seed = disguise.twin_seed()
    with seeded(seed):
        model = reference.Model(*init_inputs)
    return Twin(dataclasses.replace(problem, model=model.to(device)), seed, disguise.twin_first())


def _run_checks(reference, reference_code: str, candidate_code: str, *, dtype: str, atol: float, rtol: float,
                options: VerifyOptions, runtime: Runtime, flops: float | None,
                input_domains: list[str] | None = None, workloads=()) -> Verdict:
    device = runtime.torch_device
    init_seed = disguise.seed()
    with seeded(init_seed):
        init_inputs = list(reference.get_init_inputs())
        model = reference.Model(*init_inputs)
    model = model.to(device)  # in the mode the problem defines: no .eval() it did not ask for
    problem = Problem(reference, reference_code, model, dtype, atol, rtol, input_domains, flops)
    loaded = load_workloads(workloads, problem, init_inputs, init_seed, device) if workloads else []

    try:
        worker = runtime.acquire_worker(options)
    except SandboxError as err:
        return Verdict.reject(SANDBOX_REASONS[err.reason], f"the sandboxed worker failed to start: {err.message}.")
    retire, verdict = "interrupted", None
    try:
        if loaded:
            checks = MultiWorkloadChecks(worker, problem, candidate_code, options=options, runtime=runtime,
                                         workloads=loaded)
        else:
            checks = CandidateChecks(worker, problem, candidate_code, options=options, runtime=runtime)
        checks.twin = _second_instance(reference, problem, init_inputs, device)
        verdict = checks.run(init_inputs, init_seed)
        retire, verdict = _unload(worker, verdict, runtime)
    except SandboxError as err:
        retire = err.reason
        verdict = Verdict.reject(SANDBOX_REASONS[err.reason], err.message + ".")
    finally:
        runtime.release_worker(worker, options, retire=retire)
    return verdict


def _within_memory(judge, reference, workloads, runtime: Runtime) -> Verdict:
    """`judge()` once the GPU's memory holds what the candidate's checks will (`gpu_memory`); judged again
    with the memory to itself when it ran out of memory while another candidate held some: that failure was
    the verifier's (a forged one only buys the same draws again, alone)."""
    import torch

    largest = max([input_bytes_of(reference)]
                  + [input_bytes_of(load_reference(_source(workload))) for workload in workloads])
    nbytes = footprint_bytes(largest)
    verdict = None
    with runtime.gpu_memory.held(nbytes) as admission:
        try:
            verdict = judge()
        except torch.OutOfMemoryError:  # in this process: its truth or comparisons
            if not admission.shared:
                raise
    if verdict is not None and not (admission.shared and (out_of_memory(verdict.reason)
                                                          or out_of_memory(verdict.error_detail))):
        return verdict
    log.warning("a candidate ran out of GPU memory beside others (%d MiB admitted); judging it alone",
                nbytes >> 20)
    with runtime.gpu_memory.held(nbytes, alone=True):
        return judge()


def _source(workload) -> str:
    return workload["reference_code"] if isinstance(workload, dict) else workload.source


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


def problem_dtype(reference_code: str) -> tuple[str, float, float]:
    """The dtype of a KernelBench-format problem (that of its first floating-point input) and the
    tolerances for it, for problems that arrive without a spec (`kerneldata verify`)."""
    import torch

    from kerneldata.core.spec import TOLERANCES

    reference = load_reference(reference_code)
    try:
        with seeded(0):
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
        with seeded(0):
            model = reference.Model(*reference.get_init_inputs())
        redraw(constant_tensors(model), torch.Generator().manual_seed(1))
        outputs, draws = [], []
        for seed in (2, 3):
            with seeded(seed):
                draws.append(list(reference.get_inputs()))
        for inputs in draws + draws[:1]:  # the first draw again, the generator where the runs left it
            with torch.no_grad():
                outputs.append([e.detach() for e in as_list(model(*inputs))])
    except Exception:  # noqa: BLE001 - the verifier reports a reference that fails, with its own message
        return
    first, second, again = outputs
    if len(first) != len(again) or not all(bitwise_equal(a, b) for a, b in zip(first, again)):
        raise ReferenceError_("the problem's output is random (two runs on the same inputs differ: dropout or "
                              "another random op in training mode?): no kernel could be checked against it")
    if len(first) == len(second) and all(bitwise_equal(a, b) for a, b in zip(first, second)):
        raise ReferenceError_("the problem's output does not depend on its inputs (two different draws of "
                              "get_inputs() give identical outputs): no kernel could be checked against it")
