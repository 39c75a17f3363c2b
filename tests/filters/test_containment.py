"""Containment (filters.verifier.confine): a hostile candidate that got past the static gate still cannot reach the
network, write outside its scratch directory, start processes or signal its parent; each is rejected at
stage `sandbox` with its reason, and the caller (and the zygote) survive. The static gate is bypassed
here on purpose (`_run_checks`): these are the layers behind it."""

from __future__ import annotations

import os
import socket
import threading

import pytest

from kerneldata.core.outcomes import Check, Reason, Status
from filters.verifier.confine import landlock_abi
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import _run_checks, load_reference, verify
from tests.filters import candidates as c

OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1)


def _judge(candidate: str, runtime: Runtime | None = None):
    own = runtime is None
    runtime = runtime or Runtime("cpu", use_zygote=False)
    try:
        return _run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, candidate, dtype="float32", atol=1e-4,
                           rtol=1e-4, options=OPTIONS, runtime=runtime, flops=None)
    finally:
        if own:
            runtime.close()


def _in_forward(code: str) -> str:
    return c.relu_candidate(code + '''
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''', extra="import os\nimport socket\nimport subprocess\nimport signal\nimport ctypes\n")


@pytest.fixture
def listener():
    """A TCP server on localhost that records whether anyone connected."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    connected = []

    def accept():
        for _ in range(150):
            try:
                connected.append(server.accept())
                return
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connected
    server.close()


def _rejected_in_sandbox(verdict, reason: Reason) -> None:
    assert verdict.status is Status.REJECTED and verdict.reason_code is reason, verdict
    assert verdict.check is Check.SANDBOX


def test_localhost_connection_is_refused(listener):
    port, connected = listener
    verdict = _judge(_in_forward(f"socket.create_connection(('127.0.0.1', {port}), timeout=2)"))
    _rejected_in_sandbox(verdict, Reason.NETWORK_ACCESS)
    assert connected == []


def test_connection_at_import_is_refused_even_if_swallowed(listener):
    port, connected = listener
    candidate = _in_forward("") + f'''
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2)
except Exception:
    pass
'''
    _rejected_in_sandbox(_judge(candidate), Reason.NETWORK_ACCESS)
    assert connected == []


def test_dns_lookup_is_refused():
    _rejected_in_sandbox(_judge(_in_forward("socket.getaddrinfo('huggingface.co', 443)")), Reason.NETWORK_ACCESS)


def test_writing_outside_scratch_is_refused(tmp_path):
    target = tmp_path / "planted.txt"
    verdict = _judge(_in_forward(f"open({str(target)!r}, 'w').write('x')"))
    _rejected_in_sandbox(verdict, Reason.FILE_WRITE)
    assert not target.exists()


def test_deleting_outside_scratch_is_refused(tmp_path):
    victim = tmp_path / "keep.txt"
    victim.write_text("mine")
    _rejected_in_sandbox(_judge(_in_forward(f"os.remove({str(victim)!r})")), Reason.FILE_WRITE)
    assert victim.read_text() == "mine"


def test_writing_in_scratch_is_allowed():
    verdict = _judge(_in_forward("open('notes.txt', 'w').write('scratch is mine')"))
    assert verdict.status is Status.ACCEPTED, verdict


@pytest.mark.parametrize("spawn", ["subprocess.run(['true'])", "os.system('true')", "os.fork()"],
                         ids=["subprocess", "system", "fork"])
def test_spawning_a_process_is_refused(spawn):
    _rejected_in_sandbox(_judge(_in_forward(spawn)), Reason.PROCESS_SPAWN)


def test_killing_the_parent_is_refused_and_the_zygote_survives():
    with Runtime("cpu") as runtime:
        verdict = _judge(_in_forward("os.kill(os.getppid(), signal.SIGKILL)"), runtime)
        _rejected_in_sandbox(verdict, Reason.SIGNAL_SENT)
        again = verify(c.RELU_PROBLEM, c.HONEST, dtype="float32", atol=1e-4, rtol=1e-4, options=OPTIONS,
                       runtime=runtime)
        assert again.status is Status.ACCEPTED, again


@pytest.mark.skipif(landlock_abi() < 1, reason="this kernel has no Landlock")
def test_native_write_outside_scratch_is_blocked_by_the_kernel(tmp_path):
    """Below Python's audit hook: libc open() from ctypes, which only Landlock stops."""
    target = tmp_path / "native.txt"
    code = f"""
libc = ctypes.CDLL(None, use_errno=True)
libc.open({str(target).encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)
"""
    _judge(_in_forward(code))  # the verdict may well be "accepted": what matters is that nothing was written
    assert not target.exists()


def test_native_connection_is_blocked_by_the_kernel(listener):
    """libc connect() from ctypes: refused by the network namespace or Landlock's TCP rule."""
    port, connected = listener
    code = f"""
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(socket.AF_INET, socket.SOCK_STREAM, 0)
addr = (ctypes.c_ubyte * 16)(2, 0, {port >> 8}, {port & 255}, 127, 0, 0, 1)
libc.connect(fd, addr, 16)
"""
    _judge(_in_forward(code))
    assert connected == []


def test_confinement_layers_are_reported():
    with Runtime("cpu") as runtime:
        assert verify(c.RELU_PROBLEM, c.HONEST, dtype="float32", atol=1e-4, rtol=1e-4, options=OPTIONS,
                      runtime=runtime).status is Status.ACCEPTED
        assert "audit" in runtime.confinement
        if landlock_abi() >= 1:
            assert "landlock-fs" in runtime.confinement
        if os.geteuid() == 0:
            assert "netns" in runtime.confinement


@pytest.fixture
def without_bwrap(monkeypatch):
    """This machine as one without bubblewrap: the fallback (zygote-forked workers) and the refusal."""
    import filters.verifier.isolation
    import filters.verifier.runtime

    monkeypatch.setattr(filters.verifier.isolation, "usable_bwrap", lambda: None)
    monkeypatch.setattr(filters.verifier.runtime, "usable_bwrap", lambda: None)


def test_without_bwrap_zygote_workers_still_confine_and_report_violations(without_bwrap, tmp_path):
    target = tmp_path / "planted.txt"
    with Runtime("cpu") as runtime:
        assert runtime.zygote is not None
        assert verify(c.RELU_PROBLEM, c.HONEST, dtype="float32", atol=1e-4, rtol=1e-4, options=OPTIONS,
                      runtime=runtime).status is Status.ACCEPTED
        assert "pid" not in runtime.confinement and "audit" in runtime.confinement
        # The child's own list emptied: the violation pipe still tells (filters.verifier.confine.AuditPolicy).
        cleared = _in_forward(f"""
try:
    open({str(target)!r}, 'w')
except Exception:
    pass
import filters.verifier.confine
filters.verifier.confine._POLICY[0].violations.clear()
""")
        _rejected_in_sandbox(_judge(cleared, runtime), Reason.FILE_WRITE)
    assert not target.exists()


def test_require_isolation_refuses_to_run_without_bwrap(without_bwrap):
    from filters.verifier.isolation import IsolationUnavailable
    from filters.stage import VerifyStage
    from kerneldata.core.config import VerifyConfig

    with Runtime("cpu", use_zygote=False) as runtime, \
            pytest.raises(IsolationUnavailable, match="'bwrap' is not available"):
        runtime.acquire_worker(VerifyOptions(device="cpu", timeout_s=60, num_seeds=1, require_isolation=True))
    with pytest.raises(IsolationUnavailable, match="'bwrap'"):
        VerifyStage(config=VerifyConfig(device="cpu", require_isolation=True))
