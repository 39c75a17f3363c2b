"""One sandboxed worker process serves many candidates, and none after a fault or a change to its process
(filters.verifier.integrity): a candidate that leaves the process altered is rejected and the worker retired, so
what it did cannot reach the next candidate. The static gate is bypassed (`_run_checks`) where a test
needs hostile code to reach the worker."""

from __future__ import annotations

import pytest

from kerneldata.core.outcomes import Reason, Status
from filters.verifier.integrity import ProcessState
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import _run_checks, load_reference, verify
from tests.filters import candidates as c
from tests.filters.test_containment import _in_forward

OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1)


def _judge(runtime: Runtime, candidate: str, options: VerifyOptions = OPTIONS):
    return _run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, candidate, dtype="float32", atol=1e-4,
                       rtol=1e-4, options=options, runtime=runtime, flops=None)


def test_one_worker_serves_consecutive_honest_candidates():
    with Runtime("cpu") as runtime:
        for _ in range(3):
            verdict = verify(c.RELU_PROBLEM, c.HONEST, dtype="float32", atol=1e-4, rtol=1e-4, options=OPTIONS,
                             runtime=runtime)
            assert verdict.status is Status.ACCEPTED, verdict
        assert runtime.workers_started == 1
        assert runtime.workers_retired == {}


def test_a_worker_retires_after_its_share():
    options = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1, candidates_per_worker=2)
    with Runtime("cpu") as runtime:
        for _ in range(3):
            assert _judge(runtime, c.HONEST, options).status is Status.ACCEPTED
        assert runtime.workers_started == 2
        assert runtime.workers_retired == {"served its share": 1}


def test_a_rejection_that_is_not_a_fault_keeps_the_worker():
    with Runtime("cpu") as runtime:
        wrong = c.relu_candidate('''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out * 0 + 1
''')
        assert _judge(runtime, c.HONEST).status is Status.ACCEPTED
        assert _judge(runtime, wrong).status is Status.REJECTED
        assert _judge(runtime, c.HONEST).status is Status.ACCEPTED
        assert runtime.workers_started == 1


@pytest.mark.parametrize("tamper", [
    "torch.backends.cuda.matmul.allow_tf32 = True",
    "torch.set_default_dtype(torch.float64)",
    "torch.Tensor.__repr__ = lambda self: 'x'",
    "triton.runtime.jit.JITFunction.__call__ = lambda self, *a, **k: None",
    "import builtins\nbuiltins.cached_answer = x.clone()",
    "import sys\nsys.setprofile(lambda *a: None)",
], ids=["tf32", "default-dtype", "tensor-method", "triton-class", "builtins-cache", "profile-hook"])
def test_a_candidate_that_changes_the_process_is_rejected_and_its_worker_retired(tamper):
    with Runtime("cpu") as runtime:
        verdict = _judge(runtime, _in_forward(tamper))
        assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.PROCESS_TAMPERING, verdict
        assert runtime.workers_retired == {"process changed": 1}
        # The next candidate gets a fresh worker, untouched by the change.
        assert _judge(runtime, c.HONEST).status is Status.ACCEPTED
        assert runtime.workers_started == 2


def test_a_thread_left_running_retires_the_worker():
    code = _in_forward("threading.Thread(target=lambda: __import__('time').sleep(30), daemon=True).start()")
    code = "import threading\n" + code
    with Runtime("cpu") as runtime:
        verdict = _judge(runtime, code)
        assert verdict.status is Status.REJECTED, verdict
        assert sum(runtime.workers_retired.values()) == 1


def test_a_crash_retires_the_worker_and_the_next_candidate_is_judged_in_a_fresh_one():
    with Runtime("cpu") as runtime:
        verdict = _judge(runtime, _in_forward("os._exit(3)"))
        assert verdict.reason_code is Reason.CRASHED, verdict
        assert _judge(runtime, c.HONEST).status is Status.ACCEPTED
        assert runtime.workers_started == 2 and runtime.workers_retired == {"crashed": 1}


def test_process_state_sees_rebinding_and_switches():
    import torch

    before = ProcessState.take()
    assert before.changes() == []
    original = torch.nn.functional.relu
    try:
        torch.nn.functional.relu = lambda x: x
        assert "torch.nn.functional.relu rebound" in before.changes()
    finally:
        torch.nn.functional.relu = original
    torch.set_float32_matmul_precision("high")
    try:
        assert any("float32_matmul_precision" in change for change in before.changes())
    finally:
        torch.set_float32_matmul_precision("highest")
    assert before.changes() == []
