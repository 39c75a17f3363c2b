"""The GPU speed verdict (`timed_verdict`): the candidate and its eager and `torch.compile` baselines timed
in the candidate's worker the same way (`filters.verifier.timing`), one worker at a time with the GPU to itself
(`filters.verifier.runtime.GpuTurns`); then
the rules: host clock against device events (hidden work), the roofline floor from the device's measured
peaks, the plausibility bound (quarantine) and the minimum speedup."""

from __future__ import annotations

import hashlib
import logging
import time

from filters.verifier.answers import (
    child_error_detail,
    nbytes,
    one_line,
    sandbox_violation,
    with_measures,
)
from filters.verifier.inputs import shape_key
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime, hardware_fingerprint
from filters.verifier.sandbox import SandboxWorker
from filters.verifier.timing import cost_ms, host_excess_ms, unseen_device_ms
from kerneldata.core.outcomes import Reason, Verdict

log = logging.getLogger(__name__)


def timed_verdict(child: SandboxWorker, inputs: list, *, reference_code: str, dtype: str,
                  flops: float | None, options: VerifyOptions, runtime: Runtime, checked: str,
                  errors: dict, workload: int = 0) -> Verdict:
    """Time the candidate and its baselines on the GPU and apply the timing and speed rules. `workload`: which
    of the spec's workloads `inputs` and `reference_code` are (0: the shown one; `filters.verifier.workloads`)."""
    hardware = hardware_fingerprint(options.device)
    compile_key = (hashlib.sha256(reference_code.encode()).hexdigest(), hardware, shape_key(inputs))

    def warm_and_time(baselines: list[str]) -> dict:
        # Compile the baseline and warm everything up outside the timing lock: torch.compile takes seconds.
        with runtime.phase("warm+compile" if "compile" in baselines else "warm"):
            answer = child.time(inputs, flush_bytes=0, baselines=baselines, budget_ms=0, warm_only=True,
                                workload=workload)
        if not answer.get("ok"):
            return answer
        # One child times at a time, with the GPU to itself: the others' checks wait (`GpuTurns`) and
        # their compiles keep to other cores.
        waited = time.monotonic()
        with runtime.gpu_turns.alone():
            runtime.add_phase("wait for GPU", time.monotonic() - waited)
            with runtime.phase("time"):
                runtime.pin_for_timing(child.pid)
                return child.time(inputs, flush_bytes=runtime.flush_bytes(), baselines=baselines,
                                  budget_ms=options.timing_budget_ms, max_calls=options.max_timed_calls,
                                  placements=options.timing_placements, workload=workload)

    baselines = [b for b in options.baselines if b != "compile"]
    header = None
    no_compile = None
    if "compile" in options.baselines and compile_key not in runtime.compile_baselines:
        compile_lock = runtime.compile_lock(compile_key)
        with runtime.phase("wait for compile baseline"):
            compile_lock.acquire()
        try:
            if compile_key not in runtime.compile_baselines:
                header = warm_and_time(baselines + ["compile"])
                if header.get("ok"):
                    runtime.compile_baselines[compile_key] = cost_ms(header["timings"]["compile"],
                                                                         header["timings"]["overhead"])
                elif header.get("baseline") == "compile":
                    # torch.compile of the reference failed here (found on an H100: an Inductor cache the
                    # worker could not write): no speedup over compile, and the candidate is timed without
                    # it. Not remembered: a candidate could fake the failure to deny it to the spec's others.
                    no_compile = one_line(header)
                    log.warning("the torch.compile baseline failed for %s: %s", compile_key[0][:12], no_compile)
                    header = None
        finally:
            compile_lock.release()
    if header is None:
        header = warm_and_time(baselines)
    if not header.get("ok"):
        violation = sandbox_violation(header)
        if violation:
            return with_measures(violation, **errors)
        kind = header.get("kind")
        reason = Reason.BACKGROUND_WORK if kind == "background_work" else Reason.RUNTIME_ERROR
        return Verdict.reject(reason, f"the candidate fails when timed: {one_line(header)}",
                              error_detail=child_error_detail(header), **errors)
    timings = header["timings"]
    candidate, overhead = timings["candidate"], timings["overhead"]
    cached_compile = runtime.compile_baselines.get(compile_key)
    # A call costs what the device events saw or what the host clock saw beyond the harness, whichever is
    # more: work hidden from the events is never free, even below the mismatch threshold. The baselines are
    # costed the same way, so a launch-bound kernel is compared with eager's launches, like with like.
    hidden = host_excess_ms(candidate, overhead)
    runtime_ms = cost_ms(candidate, overhead)
    eager_ms = cost_ms(timings["eager"], overhead) if "eager" in timings else None
    compile_ms = cached_compile  # its cost in the worker that timed it (`cost_ms`), kept per problem
    measures = dict(errors, runtime_ms=runtime_ms,
                    speedup_vs_eager=eager_ms / runtime_ms if eager_ms else None,
                    speedup_vs_compile=compile_ms / runtime_ms if compile_ms else None)

    # Device work still running after the call returned, beyond its events: a side stream or a thread. Host
    # time spent inside the call (a launch-bound kernel's launch overhead) is charged above, not refused. The
    # allowance scales with the events' time, not the call's cost: slow host work inside the call must not
    # buy room for a side stream.
    unseen = unseen_device_ms(candidate, overhead)
    if unseen > options.hidden_work_slack_ms + options.hidden_work_slack_fraction * candidate["event"]["median_ms"]:
        return Verdict.reject(
            Reason.TIMING_MISMATCH,
            f"device events saw {candidate['event']['median_ms']:.4f} ms per call but the device was busy "
            f"{unseen:.4f} ms more after the call returned: work outside the timed stream.", **measures)

    peaks = runtime.peaks()
    input_bytes = sum(nbytes(x) for x in inputs)
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
    elif no_compile is not None:
        versus += f"; no torch.compile baseline (it failed: {no_compile[:120]})"
    return Verdict.accept(
        f"matches the reference on {checked}; {runtime_ms:.4f} ms (IQR {spread:.4f}, host-clock excess "
        f"{hidden:.4f}) per call, {versus}.",
        **measures)
