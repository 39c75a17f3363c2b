"""How long a candidate may take: a wall-clock instant, or, under the Triton interpreter, a budget of the
candidate's own CPU time with a wall-clock cap.

The interpreter is CPU-bound, so a wall-clock limit makes the verdict depend on the machine's load: the
same candidate times out on a busy machine and passes on an idle one, and a run from one seed no longer
gives one dataset (issue 17). Counting the CPU time the sandboxed worker spends makes the verdict the same
however busy the machine is, up to WALL_FACTOR times the budget in wall time (a candidate that sleeps or
blocks spends no CPU, and the cap still ends it). On a GPU the wall clock stays: the time a kernel runs is
not the host's CPU time, but only while a request is in flight (`RequestBudget`): the verifier's own work
between requests (drawing inputs, running the reference, comparing in float64) grows with the problem's
size, and on a real-scale problem (a 235 MB bf16 add on an H100) took about 150 s of a candidate's 339,
which a wall-clock instant from the candidate's load charged to the candidate as a timeout.
"""

from __future__ import annotations

import os
import time

# Wall-clock cap of a CPU-time deadline, as a multiple of its CPU budget.
WALL_FACTOR = 3.0
# How often a wait re-reads the CPU clock of a CPU-time deadline.
POLL_S = 0.5
_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds of `pid` (all its threads) and of its children it has waited for; None
    if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command's closing parenthesis: state is field 3, utime..cstime are fields 14..17.
    return sum(int(value) for value in fields[11:15]) / _TICKS


class CpuDeadline:
    """A deadline reached when the process `pid` has spent `cpu_seconds` of CPU from now, or when
    `cpu_seconds * WALL_FACTOR` of wall time have passed, whichever comes first."""

    def __init__(self, pid: int, cpu_seconds: float) -> None:
        self.pid = pid
        self.cpu_seconds = cpu_seconds
        self.started = process_cpu_seconds(pid) or 0.0
        self.wall_end = time.monotonic() + cpu_seconds * WALL_FACTOR

    def remaining(self) -> float:
        wall_left = self.wall_end - time.monotonic()
        used = process_cpu_seconds(self.pid)
        if used is None:  # the worker is gone: what is left is the wall clock's (its end shows as a crash)
            return wall_left
        return min(wall_left, self.cpu_seconds - (used - self.started))


class RequestBudget:
    """`seconds` of wall time spent waiting on the worker: the clock runs only between `start` and `stop`
    (one request, from sending it to its answer), so what the verifier does between requests costs the
    candidate nothing. A candidate's background work between requests is not free either: the worker
    answers only when forward has returned, and threads still running then are rejected (background_work)."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds
        self._since: float | None = None

    def start(self) -> None:
        if self._since is None:
            self._since = time.monotonic()

    def stop(self) -> None:
        if self._since is not None:
            self.left -= time.monotonic() - self._since
            self._since = None

    def remaining(self) -> float:
        return self.left - (time.monotonic() - self._since if self._since is not None else 0.0)


def remaining(deadline) -> float | None:
    """Seconds left before `deadline` (a `time.monotonic()` instant, a `CpuDeadline` or a `RequestBudget`);
    None: no deadline."""
    if deadline is None:
        return None
    if isinstance(deadline, (CpuDeadline, RequestBudget)):
        return deadline.remaining()
    return deadline - time.monotonic()


def wait_slice(deadline) -> float:
    """How long one wait may block before `deadline` is looked at again (0 when it has passed)."""
    left = max(remaining(deadline), 0.0)
    return min(left, POLL_S) if isinstance(deadline, CpuDeadline) else left
