"""kerneldata.core.scrub: what untrusted text loses before it is kept (DESIGN section 4.7)."""

from __future__ import annotations

import pytest

from kerneldata.core.outcomes import Reason, Verdict
from kerneldata.core.scrub import REDACTED, scrub, secret_values

PLANTED = "s3cr3t-value-planted-by-the-test"


@pytest.fixture
def planted(monkeypatch):
    monkeypatch.setenv("KD_TEST_API_KEY", PLANTED)
    monkeypatch.setenv("SOME_AUTH_HEADER", "Bearer planted-header-value")
    return PLANTED


def test_secret_named_variables_are_secrets(planted):
    assert planted in secret_values()
    assert "Bearer planted-header-value" in secret_values()
    assert planted not in scrub(f"the key was {planted}!")
    assert REDACTED in scrub(f"the key was {planted}!")


def test_a_short_or_plain_variable_is_not_a_secret(monkeypatch):
    monkeypatch.setenv("KD_TEST_TOKEN", "short")
    monkeypatch.setenv("KD_TEST_LANGUAGE", "a-long-but-public-value")
    assert "short" not in secret_values() and "a-long-but-public-value" not in secret_values()


@pytest.mark.parametrize("token", [
    "hf_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ",
    "sk-proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12",
    "sk-ant-" + "api03-Ab12Cd34Ef56Gh78Ij90Kl",
    "ghp_" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr",
    "AKIA" + "IOSFODNN7EXAMPLE",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "qX9aB3kLm2Pz8Rt5Wv1Yc4Nd7Fg0Hj6Uy",  # no known format, but random
    "3f2a9b8c7d6e5f4a3b2c1d0e9f8a7b6c",  # hex
])
def test_token_shapes_are_redacted(token):
    out = scrub(f"error: {token} rejected")
    assert token not in out and REDACTED in out, out


def test_a_pem_private_key_is_redacted():
    key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"
    assert "MIIEowIBAAKCAQEA" not in scrub(f"found {key} here")


@pytest.mark.parametrize("text", [
    "BLOCK_SIZE_M_128 and _attn_fwd_inner_kernel_with_block_pointers",
    "torch.Size([128, 256]) x.view(-1) 1e-3/2.0 ratio 3/4 at 0x7f3a2b1c4d5e",
    "triton.compiler.errors.CompilationError: at 12:8: tl.load(x_ptr + offs, mask=mask)",
    "see https://triton-lang.org/main/python-api/triton.language.html and a/b/c",
])
def test_ordinary_error_text_is_kept(text):
    assert scrub(text) == text


@pytest.mark.parametrize(("text", "kept", "gone"), [
    ('File "/tmp/kerneldata-sandbox-x1/candidate-3/candidate.py", line 9', 'File "candidate.py", line 9',
     "kerneldata-sandbox"),
    ("at /root/.cache/huggingface/token", "at token", "/root"),
    ("in /home/alice/work/k.py", "in k.py", "alice"),
    ("cwd /home/alice", "cwd <path>", "alice"),
    (r"C:\Users\bob\kern.py failed", "kern.py failed", "bob"),
    ("file:///home/carol/x.py", "x.py", "carol"),
    ("/usr/lib/python3/dist-packages/triton/language/core.py:12", "dist-packages/triton/language/core.py:12",
     "/usr/lib"),
])
def test_local_paths_lose_their_directories(text, kept, gone):
    out = scrub(text)
    assert out == kept and gone not in out


def test_length_is_bounded_keeping_the_end():
    out = scrub("x " * 5000 + "ValueError: the end", limit=100)
    assert len(out) == 100 and out.endswith("ValueError: the end")


def test_every_verdict_is_scrubbed_when_made(planted):
    verdict = Verdict.reject(Reason.RUNTIME_ERROR, f"the candidate fails when run: ValueError: {planted} at "
                             "/home/alice/k.py", error_detail=f'File "/tmp/sb/candidate.py"\n{planted}' + "y" * 9000)
    assert planted not in verdict.reason and "alice" not in verdict.reason
    assert planted not in verdict.error_detail and "/tmp/sb" not in verdict.error_detail
    assert len(verdict.error_detail) <= 2000 and len(verdict.reason) <= 600
    assert planted not in str(verdict.to_row())
