"""The GPU's turns (filters.verifier.runtime.GpuTurns): checks share the GPU, timing has it alone, a waiting
timer goes before checks that ask after it, and a thread cannot wait for itself."""

from __future__ import annotations

import threading
import time

import pytest

from filters.verifier.runtime import GPU_PHASES, GpuTurns, Runtime

WAIT_S = 10.0  # generous: the suite runs on loaded 2-core machines


def _started(target) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_checks_share_the_gpu():
    turns, both_in = GpuTurns(), threading.Barrier(2, timeout=WAIT_S)

    def check():
        with turns.shared():
            both_in.wait()  # only returns if both hold a shared turn at once

    threads = [_started(check) for _ in range(2)]
    for thread in threads:
        thread.join(WAIT_S)
        assert not thread.is_alive()


def test_timing_waits_for_checks_in_flight_and_new_checks_wait_for_timing():
    turns, events = GpuTurns(), []
    check_in, release_check = threading.Event(), threading.Event()

    def first_check():
        with turns.shared():
            check_in.set()
            release_check.wait(WAIT_S)
            events.append("check done")

    def timer():
        with turns.alone():
            events.append("timing")
            time.sleep(0.05)
            events.append("timing done")

    def late_check():
        with turns.shared():
            events.append("late check")

    first = _started(first_check)
    assert check_in.wait(WAIT_S)
    timing = _started(timer)
    deadline = time.monotonic() + WAIT_S
    while not turns._waiting_timers and time.monotonic() < deadline:  # the timer is queued
        time.sleep(0.005)
    late = _started(late_check)
    time.sleep(0.1)
    assert events == []  # the timer waits for the check in flight; the late check waits for the timer
    release_check.set()
    for thread in (first, timing, late):
        thread.join(WAIT_S)
        assert not thread.is_alive()
    assert events == ["check done", "timing", "timing done", "late check"]


def test_a_thread_may_nest_turns_but_not_wait_for_itself():
    turns = GpuTurns()
    with turns.shared():
        with turns.shared():
            pass
        with pytest.raises(RuntimeError):
            with turns.alone():
                pass
    with turns.alone():
        with turns.shared():  # a GPU phase inside the timer's own turn
            pass
        with pytest.raises(RuntimeError):
            with turns.alone():
                pass
    with turns.alone():  # everything was given back
        pass


def test_gpu_phases_take_a_shared_turn_on_a_gpu_runtime_only():
    gpu = Runtime("cuda", use_zygote=False)
    cpu = Runtime("cpu", use_zygote=False)
    try:
        assert {"run", "reference", "truth", "compare", "draw", "warm"} <= GPU_PHASES
        assert "time" not in GPU_PHASES and "spawn" not in GPU_PHASES
        with gpu.phase("run"):
            assert gpu.gpu_turns._sharing == 1
        with gpu.phase("spawn"):
            assert gpu.gpu_turns._sharing == 0
        assert gpu.gpu_turns._sharing == 0 and "wait for timing" in gpu.phase_seconds
        with cpu.phase("run"):
            assert cpu.gpu_turns._sharing == 0
    finally:
        gpu.close()
        cpu.close()
