"""Hostile candidates against the sandbox's outer layer (filters.verifier.isolation, bwrap) and the violation pipe:
each reads secrets, reaches sockets, leaves processes or files, or forks without end, mostly through native
calls (ctypes) that Python's audit hook never sees. Each test asserts that the candidate was rejected or
contained AND that nothing leaked or was left behind on this machine. The static gate is bypassed on purpose
(`_run_checks`): this is what holds when it fails."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from kerneldata.core.outcomes import Reason, Status
from filters.verifier import isolation
from filters.verifier.sandbox import SandboxWorker
from filters.verifier.options import VerifyOptions
from filters.verifier.runtime import Runtime
from filters.verifier.verify import _run_checks, load_reference
from tests.filters import candidates as c

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(isolation.usable_bwrap() is None, reason="bubblewrap is not usable here")]

OPTIONS = VerifyOptions(device="cpu", timeout_s=60, num_seeds=1)


def _judge(candidate: str, options: VerifyOptions = OPTIONS):
    with Runtime("cpu", use_zygote=False) as runtime:
        verdict = _run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, candidate, dtype="float32",
                              atol=1e-4, rtol=1e-4, options=options, runtime=runtime, flops=None)
    return verdict, runtime


def _hostile(code: str) -> str:
    """An honest relu candidate that first runs `code` (the body of `_hostile()`) in its forward."""
    helper = "def _hostile():\n" + "\n".join("    " + line for line in code.strip().splitlines()) + "\n\n"
    return c.relu_candidate('''
_hostile()
out = torch.empty_like(x)
relu_kernel[(triton.cdiv(x.numel(), 256),)](x, out, x.numel(), BLOCK=256)
return out
''', extra="import os\nimport socket\nimport ctypes\nimport time\nlibc = ctypes.CDLL(None, use_errno=True)\n" + helper)


def _text(verdict) -> str:
    return repr(verdict.to_json())


def _processes_named(name: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text().strip() == name:
                found.append(int(entry))
        except OSError:
            continue
    return found


# --- secrets: other processes' environments, token files under $HOME --------------------------------------

@pytest.fixture
def secret_holder():
    """A process on this machine whose environment holds a secret, as the verifier's own parent would."""
    secret = "hf_" + secrets.token_hex(16)
    holder = subprocess.Popen(["sleep", "120"], env={**os.environ, "HF_TOKEN": secret})
    yield secret, holder.pid
    holder.kill()
    holder.wait()


@pytest.mark.parametrize("how", ["python", "every_pid"])
def test_other_processes_environment_is_not_readable(secret_holder, how):
    secret, pid = secret_holder
    if how == "python":
        code = f"text = open('/proc/{pid}/environ', 'rb').read()\nraise RuntimeError(text.decode(errors='replace'))"
    else:  # every /proc entry it can see, its own namespace's parent included
        code = '''
found = []
for entry in os.listdir("/proc"):
    try:
        text = open(f"/proc/{entry}/environ", "rb").read().decode(errors="replace")
    except OSError:
        continue
    found += [pair for pair in text.split("\0") if "TOKEN" in pair]
raise RuntimeError(" ".join(found))
'''
    verdict, _ = _judge(_hostile(f"try:\n    {code.strip().replace(chr(10), chr(10) + '    ')}\nexcept OSError:\n    pass"))
    assert secret not in _text(verdict), verdict


@pytest.fixture
def planted_tokens(tmp_path):
    """Token files where a user keeps them: under the real $HOME (a directory removed afterwards)."""
    secret = "hf_" + secrets.token_hex(16)
    home_dir = Path.home() / ".cache" / f"kerneldata-hostile-{secrets.token_hex(4)}"
    home_dir.mkdir(parents=True)
    paths = [home_dir / "token", tmp_path / ".netrc"]
    for path in paths:
        path.write_text(f"machine huggingface.co password {secret}\n")
    yield secret, paths
    for path in paths:
        path.unlink()
    home_dir.rmdir()


@pytest.mark.parametrize("native", [False, True], ids=["python", "native"])
def test_token_files_under_home_are_not_readable(planted_tokens, native):
    secret, paths = planted_tokens
    reads = []
    for path in paths + [Path.home() / ".cache/huggingface/token", Path.home() / ".netrc"]:
        if native:
            reads.append(f'''
fd = libc.open({str(path).encode()!r}, 0)
if fd >= 0:
    buf = ctypes.create_string_buffer(4096)
    n = libc.read(fd, buf, 4096)
    raise RuntimeError(buf.raw[:max(n, 0)].decode(errors="replace"))''')
        else:
            reads.append(f'''
try:
    raise RuntimeError(open({str(path)!r}).read())
except OSError:
    pass''')
    verdict, _ = _judge(_hostile("\n".join(reads)))
    assert secret not in _text(verdict), verdict
    assert verdict.status is Status.ACCEPTED, verdict  # nothing read: the honest rest of it stands


# --- sockets: pathname and abstract UNIX sockets ----------------------------------------------------------

def _serve(server: socket.socket, connected: list) -> threading.Thread:
    server.listen(4)
    server.settimeout(0.2)

    def accept():
        for _ in range(600):
            try:
                connected.append(server.accept())
                return
            except (TimeoutError, OSError):
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return thread


def _native_unix_connect(address: bytes) -> str:
    """ctypes connect() to a UNIX address (a leading NUL: abstract), below the audit hook."""
    return f'''
address = {address!r}
fd = libc.socket(socket.AF_UNIX, socket.SOCK_STREAM, 0)
raw = (ctypes.c_ubyte * (2 + len(address)))(socket.AF_UNIX & 255, socket.AF_UNIX >> 8, *address)
libc.connect(fd, raw, 2 + len(address))
time.sleep(0.5)
'''


@pytest.mark.parametrize("where", ["home", "tmp"])
@pytest.mark.parametrize("native", [False, True], ids=["python", "native"])
def test_pathname_unix_socket_is_unreachable(tmp_path, where, native):
    directory = Path.home() / ".cache" / f"kerneldata-hostile-{secrets.token_hex(4)}" if where == "home" else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    path = str(directory / "agent.sock")
    server, connected = socket.socket(socket.AF_UNIX), []
    server.bind(path)
    _serve(server, connected)
    try:
        if native:
            code = _native_unix_connect(path.encode())
        else:
            code = f"s = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect({path!r})\nexcept OSError:\n    pass"
        verdict, _ = _judge(_hostile(code))
        time.sleep(0.3)
        assert connected == [], verdict
        if not native:  # the audit hook also saw it
            assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.NETWORK_ACCESS, verdict
    finally:
        server.close()
        os.unlink(path)
        if where == "home":
            directory.rmdir()


@pytest.mark.parametrize("native", [False, True], ids=["python", "native"])
def test_abstract_unix_socket_is_unreachable(native):
    name = b"\0kerneldata-hostile-" + secrets.token_hex(4).encode()
    server, connected = socket.socket(socket.AF_UNIX), []
    server.bind(name)
    _serve(server, connected)
    try:
        code = _native_unix_connect(name) if native else \
            f"s = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect({name!r})\nexcept OSError:\n    pass"
        verdict, _ = _judge(_hostile(code))
        time.sleep(0.3)
        assert connected == [], verdict
    finally:
        server.close()


# --- nothing after the candidate: processes and files ------------------------------------------------------

@pytest.mark.parametrize("how", ["double_fork", "setsid_daemon"])
def test_a_process_left_running_is_rejected_and_killed(how):
    marker = f"kd-left-{secrets.token_hex(3)}"
    detach = "libc.setsid()\n" if how == "setsid_daemon" else ""
    code = f'''
pid = libc.fork()
if pid == 0:
    {detach.strip() or "pass"}
    if libc.fork() == 0:
        libc.prctl(15, {marker.encode()!r}, 0, 0, 0)
        while True:
            libc.pause()
    libc._exit(0)
libc.waitpid(pid, None, 0)
time.sleep(0.2)
'''
    verdict, _ = _judge(_hostile(code))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.PROCESS_TAMPERING, verdict
    assert "still running" in verdict.reason, verdict
    deadline = time.monotonic() + 10
    while _processes_named(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_named(marker) == []


@pytest.mark.parametrize("directory", ["/dev/shm", "/tmp"])
def test_files_left_in_tmp_or_shm_are_rejected_and_gone(directory):
    path = f"{directory}/kd-left-{secrets.token_hex(4)}"
    code = f'''
fd = libc.open({path.encode()!r}, os.O_WRONLY | os.O_CREAT, 0o644)
libc.write(fd, b"left behind", 11)
libc.close(fd)
'''
    verdict, _ = _judge(_hostile(code))
    # Landlock may refuse the write outright (it allows /dev, so not under /dev/shm); what was written is
    # found from outside and rejected. Either way nothing reaches this machine's /tmp or /dev/shm.
    if verdict.status is not Status.ACCEPTED or directory == "/dev/shm":
        assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.PROCESS_TAMPERING, verdict
        assert "file left" in verdict.reason, verdict
    assert not os.path.exists(path)


# --- a fork bomb ------------------------------------------------------------------------------------------

def test_fork_bomb_is_bounded_ends_quickly_and_leaves_nothing():
    """Forks until the kernel refuses (children wait forever), then hangs: the process limit must bind far
    below the thousand forks it tries, the timeout ends it, and every process dies with the worker."""
    marker = f"kd-bomb-{secrets.token_hex(3)}"
    code = f'''
libc.prctl(15, {marker.encode()!r}, 0, 0, 0)
for _ in range(1000):
    pid = libc.fork()
    if pid == 0:
        while True:
            libc.pause()
    if pid < 0:
        break
while True:
    time.sleep(1)
'''
    most, stop = [0], threading.Event()

    def count():
        while not stop.is_set():
            most[0] = max(most[0], len(_processes_named(marker)))
            time.sleep(0.05)

    counter = threading.Thread(target=count, daemon=True)
    counter.start()
    started = time.monotonic()
    try:
        verdict, _ = _judge(_hostile(code), VerifyOptions(device="cpu", timeout_s=15, num_seeds=1))
    finally:
        stop.set()
        counter.join()
    # The worker's task limit (isolation.NPROC_LIMIT, 256) binds: far fewer than the thousand it tried.
    assert 0 < most[0] <= 300, most
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.TIMEOUT, verdict
    assert time.monotonic() - started < 90
    deadline = time.monotonic() + 10
    while _processes_named(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_named(marker) == []


# --- the violation pipe: the parent's own account --------------------------------------------------------

def test_a_violation_stands_when_the_child_clears_its_own_list(tmp_path):
    """The candidate empties the audit policy's in-process list after a refused write: the parent still
    rejects it, from what the hook wrote on the pipe the moment it refused."""
    target = tmp_path / "planted.txt"
    code = f'''
try:
    open({str(target)!r}, "w")
except Exception:
    pass
import filters.verifier.confine
for policy in filters.verifier.confine._POLICY:
    policy.violations.clear()
'''
    verdict, _ = _judge(_hostile(code))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.FILE_WRITE, verdict
    assert not target.exists()


def test_closing_the_violation_pipe_kills_the_worker(tmp_path):
    """Closing (or replacing) the pipe the hook writes to leaves the next violation no way out but death."""
    target = tmp_path / "planted.txt"
    code = f'''
import filters.verifier.confine
for policy in filters.verifier.confine._POLICY:
    os.dup2(os.open("/dev/null", os.O_WRONLY), policy.report_fd)
    policy.violations.clear()
try:
    open({str(target)!r}, "w")
except Exception:
    pass
for policy in filters.verifier.confine._POLICY:
    policy.violations.clear()
'''
    verdict, _ = _judge(_hostile(code))
    assert verdict.status is Status.REJECTED and verdict.reason_code is Reason.CRASHED, verdict
    assert not target.exists()


def test_layers_are_reported_and_required():
    with SandboxWorker(device="cpu", start_deadline=time.monotonic() + 120, memory_limit_bytes=None,
                       output_limit_bytes=1 << 20, require_isolation=True) as worker:
        for layer in isolation.REQUIRED_LAYERS:
            assert layer in worker.confinement, worker.confinement


def test_scratch_writes_are_capped_in_total_and_never_reach_the_disk():
    """Many files, each under the per-file cap (RLIMIT_FSIZE): the scratch tmpfs stops them in total, and
    the host's scratch directory holds none of them."""
    limit = 8 << 20
    code = f'''
written = 0
try:
    for index in range(16):
        with open(f"fill-{{index}}", "wb") as out:
            for _ in range(4):
                out.write(bytes(1 << 20))
                out.flush()
                written += 1 << 20
except OSError:
    pass
raise RuntimeError(f"WROTE {{written}}")
'''
    with SandboxWorker(device="cpu", start_deadline=time.monotonic() + 120, memory_limit_bytes=None,
                       output_limit_bytes=16 << 20, scratch_limit_bytes=limit) as worker:
        header, _ = worker.load(code, [], 0, deadline=time.monotonic() + 60)
        written = int(header["message"].rsplit("WROTE ", 1)[1].split()[0])
        assert written <= limit, written
        assert not list(worker.scratch.rglob("fill-*"))


# --- what one candidate leaves for the next in the same worker ----------------------------------------------

def _next_candidate_finds(code: str):
    """Verdicts of a hostile candidate running `code`, then of an honest one in the same runtime that fails
    (a runtime_error naming LEAK) if the first's trace is still there: the scratch walked for files named
    kd-planted*, and KD_PLANTED in the environment."""
    probe = '''
import glob
root = os.path.dirname(os.path.dirname(os.path.abspath(".")))
planted = glob.glob(root + "/**/kd-planted*", recursive=True) + glob.glob(root + "/kd-planted*")
if planted or "KD_PLANTED" in os.environ:
    raise RuntimeError(f"LEAK {planted} {os.environ.get('KD_PLANTED')}")
'''
    with Runtime("cpu", use_zygote=False) as runtime:
        verdicts = []
        for candidate in (_hostile(code), _hostile(probe)):
            verdicts.append(_run_checks(load_reference(c.RELU_PROBLEM), c.RELU_PROBLEM, candidate, dtype="float32",
                                        atol=1e-4, rtol=1e-4, options=OPTIONS, runtime=runtime, flops=None))
    return verdicts


@pytest.mark.parametrize("where", ["triton_cache", "inductor_cache", "tmpdir", "home"])
def test_a_file_planted_in_a_compile_cache_dies_with_its_candidate(where):
    """The compile caches (and temporary files) a candidate is given are its own: a kernel or a baseline it
    plants there for the candidates after it is gone with it. Writing there is what compilers do: no verdict."""
    variable = {"triton_cache": "TRITON_CACHE_DIR", "inductor_cache": "TORCHINDUCTOR_CACHE_DIR",
                "tmpdir": "TMPDIR", "home": "HOME"}[where]
    code = f'''
directory = os.environ[{variable!r}]
os.makedirs(directory, exist_ok=True)
with open(os.path.join(directory, "kd-planted.cubin"), "w") as out:
    out.write("a kernel for the next candidate's hash")
'''
    first, second = _next_candidate_finds(code)
    assert first.status is Status.ACCEPTED, first
    assert second.status is Status.ACCEPTED, second


@pytest.mark.parametrize("how", ["new_file", "worker_cache", "changed_file"])
def test_a_file_left_in_the_worker_scratch_is_rejected_and_gone(how):
    """Outside its own directories the scratch is the worker's: a file added there (beside its directory, in
    the worker's own compile cache) or a worker's file changed is found from outside and rejected, and the
    next candidate never sees it."""
    code = {
        "new_file": 'open(os.path.join(os.path.dirname(os.path.abspath(".")), "kd-planted"), "w").write("x")',
        "worker_cache": 'directory = os.path.join(os.path.dirname(os.path.abspath(".")), "compile-caches", "triton")\n'
                        'os.makedirs(directory, exist_ok=True)\n'
                        'open(os.path.join(directory, "kd-planted"), "w").write("x")',
        "changed_file": 'import glob\n'
                        'root = os.path.dirname(os.path.abspath("."))\n'
                        'mine = os.path.abspath(".")\n'
                        'theirs = [p for p in glob.glob(root + "/**", recursive=True) if os.path.isfile(p) '
                        'and not p.startswith(mine)]\n'
                        'target = theirs[0] if theirs else os.path.join(root, "kd-planted")\n'
                        'open(target, "a").write("x")',
    }[how]
    first, second = _next_candidate_finds(code)
    assert first.status is Status.REJECTED and first.reason_code is Reason.PROCESS_TAMPERING, first
    assert "in the scratch" in first.reason, first
    assert second.status is Status.ACCEPTED, second


def test_the_environment_a_candidate_sets_is_not_the_next_ones():
    """Environment variables steer compilers (TRITON_DEBUG makes every later kernel slow, an Inductor switch a
    later baseline): the worker's environment is put back after each candidate."""
    first, second = _next_candidate_finds('os.environ["KD_PLANTED"] = "1"\nos.environ["TRITON_DEBUG"] = "1"')
    assert second.status is Status.ACCEPTED, second
