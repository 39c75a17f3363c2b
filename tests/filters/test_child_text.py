"""No raw child text leaves the verifier (DESIGN section 4.7): what a candidate prints or puts in an exception
reaches the verdict, and from there a row, a refinement prompt and the Hub, only scrubbed of secrets,
token-shaped strings and local paths, and bounded."""

from __future__ import annotations

import pytest

from filters.verifier.options import VerifyOptions
from filters.verifier.verify import verify
from generators.refine import feedback
from kerneldata.core.outcomes import Status
from tests.filters import candidates as c

CPU = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1)
PLANTED = "planted-secret-9f8e7d6c5b4a"  # as if the candidate had learned the parent's secret somehow
HF_SHAPED = "hf_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2"


@pytest.fixture
def parent_secret(monkeypatch):
    monkeypatch.setenv("KD_TEST_HUB_TOKEN", PLANTED)


def _verify(candidate: str):
    return verify(c.RELU_PROBLEM, candidate, dtype="float32", atol=1e-4, rtol=1e-4, options=CPU)


def _everything(verdict) -> str:
    row = verdict.to_row()
    row.update(code="", atol=1e-4, rtol=1e-4, dtype="float32")
    return repr(row) + feedback(row, target_speedup=1.5)


@pytest.mark.parametrize("how", [
    # raised from forward, the message holding the secret, a token and a local path
    f'raise ValueError("{PLANTED} {HF_SHAPED} in /home/alice/.cache/huggingface/token")',
    # a long message: the part that matters is at its end
    f'raise RuntimeError("x" * 100000 + " {PLANTED} /root/.netrc")',
])
def test_exception_text_is_scrubbed_and_bounded(parent_secret, how):
    verdict = _verify(c.relu_candidate(how))
    assert verdict.status is Status.REJECTED
    text = _everything(verdict)
    for leaked in (PLANTED, HF_SHAPED, "alice", "/root", "/home"):
        assert leaked not in text, (leaked, text[:500])
    assert len(verdict.reason) <= 600 and len(verdict.error_detail or "") <= 2000


def test_a_crash_quotes_only_scrubbed_output(parent_secret):
    # what the child printed last before dying of SIGSEGV is quoted in the crash reason
    crashing = c.SEGFAULTS.replace("out = torch.empty_like(x)",
                                   f'print("{PLANTED} at /home/alice/k.py {HF_SHAPED}", flush=True)\n'
                                   "        out = torch.empty_like(x)")
    verdict = _verify(crashing)
    assert verdict.status is Status.REJECTED and "SIGSEGV" in verdict.reason, verdict
    assert "at k.py" in verdict.reason  # the quoted line, scrubbed
    text = _everything(verdict)
    assert PLANTED not in text and HF_SHAPED not in text and "alice" not in text
