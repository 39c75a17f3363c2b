"""A candidate's time limit under the interpreter is its own CPU time, capped in wall time
(filters.verifier.deadline): a busy machine does not turn a pass into a timeout, and a candidate that sleeps
still ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from filters.verifier.deadline import WALL_FACTOR, CpuDeadline, process_cpu_seconds, remaining

BUSY = "while True:\n    pass\n"
SLEEPS = "import time\ntime.sleep(60)\n"


def _process(code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", code])


@pytest.fixture
def processes():
    started = []
    yield lambda code: started.append(_process(code)) or started[-1]
    for proc in started:
        proc.kill()
        proc.wait()


def _wait_until_passed(deadline, limit_s: float) -> float:
    started = time.monotonic()
    while remaining(deadline) > 0:
        assert time.monotonic() - started < limit_s, "the deadline never passed"
        time.sleep(0.05)
    return time.monotonic() - started


def test_a_busy_process_reaches_its_cpu_budget(processes):
    busy = processes(BUSY)
    deadline = CpuDeadline(busy.pid, 0.6)
    took = _wait_until_passed(deadline, 0.6 * WALL_FACTOR + 5)
    # Its CPU budget spent (or, on a machine too busy to give it a third of a core, the wall cap reached).
    assert process_cpu_seconds(busy.pid) >= 0.58 or took >= 0.6 * WALL_FACTOR - 0.05
    assert took >= 0.55


def test_a_sleeping_process_is_ended_by_the_wall_cap(processes):
    sleeper = processes(SLEEPS)
    deadline = CpuDeadline(sleeper.pid, 0.4)
    time.sleep(0.5)
    # Past its budget in wall time, but it has spent no CPU: not over yet.
    assert remaining(deadline) > 0
    took = _wait_until_passed(deadline, 0.4 * WALL_FACTOR + 5)
    assert 0.4 * WALL_FACTOR - 0.6 <= took + 0.5


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity")
def test_a_neighbour_sharing_the_core_does_not_shorten_the_budget(processes):
    busy, neighbour = processes(BUSY), processes(BUSY)
    core = {sorted(os.sched_getaffinity(0))[0]}
    os.sched_setaffinity(busy.pid, core)
    os.sched_setaffinity(neighbour.pid, core)
    budget = 0.6
    deadline = CpuDeadline(busy.pid, budget)
    started, outlived_the_wall_clock = time.monotonic(), False
    while remaining(deadline) > 0:
        # At most half a core: the budget's CPU seconds take longer than that in wall time, and the deadline
        # is still open where a wall-clock limit would have cut the candidate.
        outlived_the_wall_clock |= time.monotonic() - started > budget * 1.2
        assert time.monotonic() - started < budget * WALL_FACTOR + 5, "the deadline never passed"
        time.sleep(0.02)
    took = time.monotonic() - started
    assert outlived_the_wall_clock
    # It ended because the CPU budget was spent, or (on a machine so busy the process got less than a third
    # of its share) at the wall cap, never earlier.
    assert process_cpu_seconds(busy.pid) >= budget - 0.02 or took >= budget * WALL_FACTOR - 0.05


def test_a_plain_instant_is_a_wall_clock_deadline():
    assert remaining(None) is None
    assert 0 < remaining(time.monotonic() + 5) <= 5
    assert remaining(time.monotonic() - 1) < 0


def test_a_verifier_worker_is_not_counted_as_hung_before_its_candidate_can_time_out():
    from kerneldata.core.config import VerifyConfig

    for timeout_s in (4.0, 60.0, 120.0):
        assert VerifyConfig(timeout_s=timeout_s).call_timeout() > WALL_FACTOR * timeout_s + 60


def test_a_request_budget_runs_only_while_a_request_is_in_flight():
    from filters.verifier.deadline import RequestBudget

    budget = RequestBudget(0.3)
    time.sleep(0.4)  # the verifier's own work: not charged
    assert remaining(budget) == pytest.approx(0.3)
    budget.start()
    time.sleep(0.2)
    budget.stop()
    assert 0.0 < remaining(budget) <= 0.1 + 1e-3
    time.sleep(0.2)
    assert 0.0 < remaining(budget) <= 0.1 + 1e-3
    budget.start()
    time.sleep(0.15)
    assert remaining(budget) < 0


def test_a_worker_on_a_request_budget_is_not_charged_for_the_verifier_s_time_between_requests():
    """A GPU candidate's deadline (`SandboxWorker.candidate_deadline`): the time the verifier spends between
    requests (drawing real-scale inputs, comparing in float64) does not time the candidate out; a candidate
    that runs past the budget inside one request still does."""
    from filters.verifier.deadline import RequestBudget
    from filters.verifier.sandbox import SandboxError, SandboxWorker

    import torch

    code = '''
import time
import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def forward(self, x):
        if float(x.sum()) > 0:
            time.sleep(30)
        return x + 0
'''
    with SandboxWorker(device="cpu", start_deadline=time.monotonic() + 120, memory_limit_bytes=None,
                       output_limit_bytes=1 << 20) as worker:
        budget = RequestBudget(10.0)
        header, _ = worker.load(code, [], 0, deadline=budget)
        assert header.get("ok"), header
        for _ in range(3):
            time.sleep(4.0)  # 12 s between requests in all: more than the budget
            header, _ = worker.run([-torch.ones(4)], 0)
            assert header.get("ok"), header
        assert remaining(budget) > 5.0
        with pytest.raises(SandboxError) as raised:
            worker.run([torch.ones(4)], 0)
        assert raised.value.reason == "timeout"
