"""Admission of candidates to a GPU by the memory they hold (filters.verifier.gpu_memory), and the verifier's
second try, alone, of a candidate that ran out of memory beside others (filters.verifier.verify)."""

from __future__ import annotations

import threading
import time
import types

import pytest
import torch

from filters.verifier import gpu_memory, verify as verify_module
from filters.verifier.gpu_memory import GpuMemory, footprint_bytes, input_bytes_of, out_of_memory
from kerneldata.core.outcomes import Reason, Verdict


def test_holds_wait_until_they_fit_first_come_first_served():
    memory = GpuMemory(100)
    order = []

    def hold(name, nbytes, started):
        with memory.held(nbytes):
            order.append(name)
            started.set()
            time.sleep(0.2)

    big_started, small_started = threading.Event(), threading.Event()
    with memory.held(60) as first:
        big = threading.Thread(target=hold, args=("big", 70, big_started))
        big.start()
        _wait_for(lambda: len(memory._queue) == 1)  # the big one is waiting in line
        small = threading.Thread(target=hold, args=("small", 10, small_started))
        small.start()  # it would fit now, but the big one asked first
        assert not big_started.wait(0.3) and not small_started.is_set()
    big.join(30)
    small.join(30)
    assert order == ["big", "small"] and not first.shared  # nothing was held beside it


def _wait_for(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_hold_larger_than_the_gpu_or_alone_waits_for_an_empty_gpu_and_never_for_ever():
    memory = GpuMemory(100)
    with memory.held(500) as huge:
        assert memory.held_bytes == 500 and not huge.shared
    with memory.held(10, alone=True) as alone:
        assert alone.nbytes == 100
    assert memory.held_bytes == 0


def test_a_cpu_admits_everyone_at_once():
    memory = GpuMemory(None)
    with memory.held(1 << 40), memory.held(1 << 40) as second:
        assert not second.shared


def test_the_estimate_follows_the_inputs_drawn_on_the_meta_device():
    reference = types.SimpleNamespace(get_inputs=lambda: [torch.randn(1024, 1024, dtype=torch.bfloat16), 3])
    assert input_bytes_of(reference) == 2 << 20
    assert footprint_bytes(2 << 20) == gpu_memory.FOOTPRINT_FIXED_BYTES + gpu_memory.FOOTPRINT_PER_INPUT_BYTE * (2 << 20)
    failing = types.SimpleNamespace(get_inputs=lambda: [torch.randn(4).item()])
    assert input_bytes_of(failing) == 0


def test_out_of_memory_is_read_from_reasons_and_details():
    assert out_of_memory("the candidate fails when timed: torch.OutOfMemoryError: CUDA out of memory.")
    assert out_of_memory("HIP out of memory")
    assert not out_of_memory(None) and not out_of_memory("mismatch on unseen inputs")


def _runtime(capacity):
    return types.SimpleNamespace(gpu_memory=GpuMemory(capacity), device="cuda")


def _reference():
    return types.SimpleNamespace(get_inputs=lambda: [torch.randn(16)])


def test_a_candidate_out_of_memory_beside_others_is_judged_again_alone():
    runtime = _runtime(1 << 50)
    oom = Verdict.reject(Reason.RUNTIME_ERROR, "the candidate fails when timed: torch.OutOfMemoryError: CUDA out of memory.")
    answers, alone, judging = [oom, Verdict.accept("ok")], [], threading.Event()

    def judge():
        judging.set()
        alone.append(runtime.gpu_memory.held_bytes == runtime.gpu_memory.capacity)
        return answers.pop(0)

    with runtime.gpu_memory.held(1):  # another candidate
        result = []
        thread = threading.Thread(target=lambda: result.append(verify_module._within_memory(judge, _reference(), (), runtime)))
        thread.start()
        assert judging.wait(30)
    thread.join(30)
    assert result[0].reason == "ok" and alone == [False, True]


def test_a_candidate_out_of_memory_alone_keeps_its_verdict():
    runtime = _runtime(1 << 50)
    oom = Verdict.reject(Reason.RUNTIME_ERROR, "the candidate fails when run: torch.OutOfMemoryError: CUDA out of memory.")
    calls = []

    def judge():
        calls.append(1)
        return oom

    assert verify_module._within_memory(judge, _reference(), (), runtime) is oom and len(calls) == 1


def test_this_process_running_out_of_memory_beside_others_is_judged_again_and_alone_raises():
    runtime = _runtime(1 << 50)
    calls = []

    def judge():
        calls.append(1)
        raise torch.OutOfMemoryError("CUDA out of memory")

    with pytest.raises(torch.OutOfMemoryError):
        verify_module._within_memory(judge, _reference(), (), runtime)
    assert len(calls) == 1
    with runtime.gpu_memory.held(1):
        result = []

        def run():
            try:
                verify_module._within_memory(judge, _reference(), (), runtime)
            except torch.OutOfMemoryError:
                result.append("raised alone")

        thread = threading.Thread(target=run)
        thread.start()
        _wait_for(lambda: len(calls) == 2)  # its first try ran beside this hold
    thread.join(30)
    assert result == ["raised alone"] and len(calls) == 3
