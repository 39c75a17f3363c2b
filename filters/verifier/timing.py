"""GPU timing that a candidate cannot shorten by working out of sight.

Each timed call: overwrite a flush buffer larger than the last-level cache (inputs come from DRAM, as in
a real model), synchronise the whole device, then record a CUDA event pair around the call on the current
stream and read the host clock around the same span, ending with a device-wide synchronise. Event time is
the measurement; the host clock is the cross-check, read in two parts:
- *in the call* (from before the first event to after the second is recorded): the host's own work, launch
  overhead above all. A launch-bound kernel spends more here than its event pair sees (the driver submits
  the first event with the kernel), which is a real cost, charged (`host_excess_ms`), and not a mismatch;
- *after the call* (the closing synchronise): device work still running once the call returned. An honest
  call's work is inside the event pair, so this wait is at most the event time plus the sync's own latency;
  work launched on a side stream, or left to a background thread, the events do not see, and the wait
  exceeds them (`unseen_device_ms`): work outside the timed stream, which a caller's stream would race.
Both are measured the same way around an empty call, timed interleaved with the others (`OVERHEAD`), and the
harness's share taken off. Interleaved, not calibrated beforehand: another process's kernels on the same GPU
(the other workers' checks, another job) hold the device for whole time slices, and the events of every call
queued behind them, the empty one's too, wait alike; a separate calibration would charge that wait to the
candidate as work outside its stream (found on an H100 with four verifiers on it: an honest 7.6 us softmax was
rejected with 1.6 ms "unseen").

Inputs of 16 MiB or more are placed in memory several times (`time_placed`): a kernel that streams several
tensors at once runs up to 23% faster or slower with where they land (measured on an H100, BENCHMARKS.md, ninth
GPU session) while PyTorch's own kernels move by under 1%, so one placement makes a speedup that moves between
runs.

Warm-up calls are not timed; the number of timed calls adapts to the kernel's duration within a budget;
the summary is the median with the interquartile range. The references to torch and the clock are taken
when this module is imported, before any candidate code runs in the process, so a candidate that rebinds
`time.perf_counter` or `torch.cuda.Event` does not change what is measured here (and the static gate
rejects such rebinding anyway).
"""

from __future__ import annotations

import random
import statistics
from time import perf_counter as _clock

import torch

_Event = torch.cuda.Event
_synchronize = torch.cuda.synchronize


def summarize(samples_ms: list[float]) -> dict:
    ordered = sorted(samples_ms)
    quartiles = statistics.quantiles(ordered, n=4) if len(ordered) >= 2 else [ordered[0]] * 3
    return {"median_ms": statistics.median(ordered), "iqr_ms": quartiles[2] - quartiles[0],
            "min_ms": ordered[0], "n": len(ordered)}


OVERHEAD = "overhead"  # the empty call `time_calls` adds: what the harness and the device's other users cost


def time_calls(fns: dict, *, flush: torch.Tensor, budget_ms: float = 30.0, min_iters: int = 10,
               max_iters: int = 200, warmup_ms: float = 10.0) -> dict:
    """Time several callables on the current device, interleaved call by call (a, b, c, a, b, c, ...), so
    that clock and load drift during the measurement touches all of them alike and their ratios (the
    speedups) stay steady; an empty call (`OVERHEAD`) is one of them. Returns
    {name: {"event": summary, "host": summary, "after": summary}} for each of `fns` and `OVERHEAD`."""
    if OVERHEAD in fns:
        raise ValueError(f"{OVERHEAD!r} is the name of the empty call time_calls adds")
    fns = {OVERHEAD: lambda: None, **fns}
    estimates = {}
    for name, fn in fns.items():
        fn()
        _synchronize()
        start, end = _Event(enable_timing=True), _Event(enable_timing=True)
        start.record()
        for _ in range(3):
            flush.zero_()
            fn()
        end.record()
        _synchronize()
        estimates[name] = max(start.elapsed_time(end) / 3, 1e-3)
    for name, fn in fns.items():
        for _ in range(max(1, min(100, int(warmup_ms / estimates[name])))):
            fn()
    iters = max(min_iters, min(max_iters, int(budget_ms / sum(estimates.values()))))

    events = {name: ([_Event(enable_timing=True) for _ in range(iters)],
                     [_Event(enable_timing=True) for _ in range(iters)]) for name in fns}
    host_ms: dict[str, list[float]] = {name: [] for name in fns}
    after_ms: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(iters):
        for name, fn in fns.items():
            starts, ends = events[name]
            flush.zero_()
            _synchronize()
            began = _clock()
            starts[i].record()
            fn()
            ends[i].record()
            returned = _clock()
            _synchronize()
            done = _clock()
            host_ms[name].append((done - began) * 1e3)
            after_ms[name].append((done - returned) * 1e3)
    return {name: {"event": summarize([s.elapsed_time(e) for s, e in zip(*events[name])]),
                   "host": summarize(host_ms[name]), "after": summarize(after_ms[name])} for name in fns}


# Below this many bytes of tensor inputs a kernel is launch-bound (16 MiB streams in 5 us at an H100's
# 3.3 TB/s, about one launch), and its spread between runs is not placement: on an H100, four placements left
# 200 KernelBench-sized candidates' median |speedup difference| between two runs at 4.8% (4.0% with one) and
# doubled their verification time (BENCHMARKS.md, tenth GPU session). They are timed on one placement.
PLACED_INPUT_BYTES = 16 << 20


def time_placed(fns_for, inputs: list, *, placements: int, flush: torch.Tensor, budget_ms: float,
                max_iters: int, warmup_ms: float = 10.0) -> dict:
    """`time_calls` of `fns_for(inputs)`, and where the tensor inputs total PLACED_INPUT_BYTES or more, of
    `fns_for(copies)` on `placements - 1` more placements of them in memory (`placed_elsewhere`), the budget
    and calls shared among them; one timing per function (`over_placements`). Warm-up on the first only."""
    tensors = [x for x in inputs if isinstance(x, torch.Tensor)]
    if sum(x.numel() * x.element_size() for x in tensors) < PLACED_INPUT_BYTES:
        placements = 1
    rounds = []
    for placement in range(placements):
        placed, spacer = (inputs, None) if placement == 0 else placed_elsewhere(inputs)
        rounds.append(time_calls(fns_for(placed), flush=flush, budget_ms=budget_ms / placements,
                                 max_iters=max(10, max_iters // placements),
                                 warmup_ms=warmup_ms if placement == 0 else 0.0))
        del placed, spacer
        if placement:
            torch.cuda.empty_cache()  # the next copies come from fresh device memory, not these blocks
    return over_placements(rounds)


def placed_elsewhere(inputs: list) -> tuple[list, torch.Tensor | None]:
    """Copies of the tensor inputs (same values and strides) at other device addresses: after a spacer
    allocation of a random 1 to 63 MiB, which the caller holds until it is done with the copies."""
    device = next((x.device for x in inputs if isinstance(x, torch.Tensor)), None)
    if device is None:
        return inputs, None
    spacer = torch.empty(random.SystemRandom().randrange(1, 64) << 20, dtype=torch.int8, device=device)
    return [x.clone() if isinstance(x, torch.Tensor) else x for x in inputs], spacer


def over_placements(rounds: list[dict]) -> dict:
    """One timing per function from `time_calls` results on several placements of the same inputs. Each
    median is the mean of the placements' medians, not the median of the pooled calls: placement moves a
    kernel between a few distinct speeds, and the pooled median jumps from one to another with which
    placements were drawn, where the mean moves by a fraction. The spread is the widest placement's IQR, the
    minimum the fastest call's."""
    if len(rounds) == 1:
        return rounds[0]
    combined = {}
    for name in rounds[0]:
        combined[name] = {}
        for part in rounds[0][name]:
            summaries = [r[name][part] for r in rounds]
            combined[name][part] = {
                "median_ms": statistics.fmean(s["median_ms"] for s in summaries),
                "iqr_ms": max(s["iqr_ms"] for s in summaries),
                "min_ms": min(s["min_ms"] for s in summaries),
                "n": sum(s["n"] for s in summaries),
                "placements_ms": [s["median_ms"] for s in summaries]}
    return combined


def host_excess_ms(timed: dict, overhead: dict) -> float:
    """Host time of a call beyond its event pair and the harness (launch overhead, host work, work outside the
    timed stream): what a caller waits for that the events do not show. Charged to the call's cost."""
    return (timed["host"]["median_ms"] - overhead["host"]["median_ms"]) - timed["event"]["median_ms"]


def cost_ms(timed: dict, overhead: dict) -> float:
    """What one call costs: its event time, or the host clock beyond the harness where that is more."""
    return timed["event"]["median_ms"] + max(0.0, host_excess_ms(timed, overhead))


def unseen_device_ms(timed: dict, overhead: dict) -> float:
    """Device work still running after the call returned, beyond what its event pair saw and the harness's
    own closing synchronise: work outside the timed stream (a side stream, a background thread)."""
    return (timed["after"]["median_ms"] - overhead["after"]["median_ms"]) - timed["event"]["median_ms"]
