"""The child's answers are typed messages the parent validates (filters.verifier.protocol): a malformed or forged
answer rejects the candidate (`protocol_violation`) and retires its worker; it never crashes the verifier,
and the next candidate on the same runtime is judged as usual. The static gate is bypassed on purpose
(`_run_checks`): a candidate that reached the answer pipe is what this layer is for."""

from __future__ import annotations

import pytest

from filters.verifier.protocol import ProtocolViolation, validated
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import _run_checks, load_reference
from kerneldata.core.outcomes import Reason, Status
from tests.filters import candidates as c

OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1)
GOOD_RUN = {"ok": True, "launches": 1, "devices": ["cpu"], "aliases_input": False, "inputs_changed": False,
            "output_bytes": 16,
            "torch_compute": [], "narrowing": [], "unproven_output": None, "seconds": {"forward": 0.1}}
SUMMARY = {"median_ms": 0.1, "iqr_ms": 0.01, "min_ms": 0.09, "n": 10}


def test_a_well_formed_answer_passes_as_a_plain_dict():
    assert validated("run", GOOD_RUN, [b"", b""])["launches"] == 1
    assert validated("run", {"ok": False, "kind": "runtime_error", "message": "boom"}, [])["kind"] == "runtime_error"
    timed = {"ok": True, "timings": {"candidate": {"event": SUMMARY, "host": SUMMARY, "after": SUMMARY}}}
    assert validated("time", timed, [])["timings"]["candidate"]["event"]["n"] == 10


@pytest.mark.parametrize(("op", "answer", "blobs"), [
    ("run", ["not", "a", "dict"], [b"", b""]),
    ("run", {**GOOD_RUN, "ok": 1}, [b"", b""]),
    ("run", {**GOOD_RUN, "launches": -3}, [b"", b""]),
    ("run", {**GOOD_RUN, "launches": "1"}, [b"", b""]),
    ("run", {**GOOD_RUN, "aliases_input": 0}, [b"", b""]),
    ("run", {**GOOD_RUN, "trusted": True}, [b"", b""]),  # a field no answer has
    ("run", {**GOOD_RUN, "narrowing": ["float16"]}, [b"", b""]),
    ("run", {**GOOD_RUN, "seconds": {"forward": -1.0}}, [b"", b""]),
    ("run", GOOD_RUN, [b""]),  # a blob short
    ("run", {**GOOD_RUN, "inputs_changed": None}, [b"", b""]),
    ("run", {k: v for k, v in GOOD_RUN.items() if k != "launches"}, [b"", b""]),
    ("run", {"ok": False, "kind": "accepted", "message": "trust me"}, []),
    ("run", {"ok": False, "kind": "sandbox", "reason": "nothing", "message": ""}, []),
    ("time", {"ok": True, "timings": {"candidate": {"event": {**SUMMARY, "median_ms": float("nan")},
                                                    "host": SUMMARY}}}, []),
    ("time", {"ok": True, "timings": {"candidate": {"event": {**SUMMARY, "median_ms": -0.5}, "host": SUMMARY}}},
     []),
    ("time", {"ok": True, "timings": {"turbo": {"event": SUMMARY, "host": SUMMARY}}}, []),
    ("unload", {"ok": True, "changes": "none"}, []),
    ("start", {"ok": True, "confinement": ["netns"], "seconds": {"cuda_init": float("inf")}}, []),
])
def test_a_malformed_answer_is_a_protocol_violation(op, answer, blobs):
    with pytest.raises(ProtocolViolation):
        validated(op, answer, blobs)


FORGES = c.relu_candidate('''
import sys
from filters.verifier.ipc import write_message
write_message(int(sys.argv[2]), {FORGED})
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''')


@pytest.mark.parametrize("forged", [
    '{"ok": True, "launches": "many", "devices": ["cpu"]}',
    '{"ok": False, "kind": "all_good", "message": ""}',
    '{"ok": True, "launches": 1, "devices": ["cpu"], "aliases_input": False, "output_bytes": 0, '
    '"torch_compute": [], "narrowing": [], "verdict": "accepted"}',
])
def test_a_forged_answer_rejects_the_candidate_and_the_verifier_goes_on(forged):
    runtime = Runtime("cpu", use_zygote=False)  # a fresh interpreter: the answer pipe's fd is its argv[2]
    reference = load_reference(c.RELU_PROBLEM)
    try:
        def judge(candidate):
            return _run_checks(reference, c.RELU_PROBLEM, candidate, dtype="float32", atol=1e-4, rtol=1e-4,
                               options=OPTIONS, runtime=runtime, flops=None)

        verdict = judge(FORGES.replace("{FORGED}", forged))
        assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.PROTOCOL_VIOLATION, verdict
        assert runtime.workers_retired == {"protocol": 1}
        assert judge(c.HONEST).status is Status.ACCEPTED  # on a fresh worker
    finally:
        runtime.close()
