"""The parent side of the sandbox: a sandboxed worker process for candidates, bounded in time, memory and
output.

What it guarantees: candidates run in a child process started fresh (never forked from a process that
holds a GPU context), in its own process group and session, each in a directory of its own beneath the
worker's scratch directory, which is deleted after; a worker serves candidates one after another only as
long as none faults or changes the process (`filters.integrity`, checked at `unload`);
its environment is rebuilt from an allow-list, so no token, key or secret of ours is visible to it; every
exchange has a deadline, after which the whole process group is killed; output files are capped
(RLIMIT_FSIZE) and, on CPU, so is its address space (RLIMIT_AS). A crash, hang or fault of the child costs
that candidate, never the caller.

Before the candidate is loaded the child confines itself (`filters.confine`): a network namespace of its
own, Landlock (writes only beneath scratch, the caches and /dev; no TCP; no signals outside), and an audit
hook that refuses and records network calls, writes outside scratch, spawning and signalling, which the
verifier turns into `rejected` at stage `sandbox`. Which layers a machine allowed is reported
(`Runtime.confinement`). Not covered: a native-code fork that leaves the process group, reading files
(secrets are kept out of the environment instead), seccomp.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from filters.disguise import candidate_location
from filters.ipc import (
    ChannelClosed,
    DeadlineExceeded,
    MessageTooLarge,
    read_message,
    tensors_to_bytes,
    write_message,
)

# Environment variables the child may inherit; everything else (HF_TOKEN, OPENAI_API_KEY, AWS_*, ...) is
# dropped. A name on this list that still looks like a secret is dropped too.
_ENV_ALLOWED = (
    "PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "ROCM_PATH", "HIP_PATH",
    "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CC", "TRITON_PTXAS_PATH",
    "TRITON_HIP_LLD_PATH",
)
_SECRET_MARKERS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "CREDENTIAL")


class SandboxError(Exception):
    """The child did not answer as the protocol says: `reason` is one of timeout, crashed, output_flood."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def visible_devices_env(index: int) -> dict[str, str]:
    """The environment that shows a child only GPU `index` of the ones this process sees (honouring a
    CUDA_VISIBLE_DEVICES / HIP_VISIBLE_DEVICES already set here)."""
    name = "HIP_VISIBLE_DEVICES" if os.environ.get("HIP_VISIBLE_DEVICES") or _rocm_build() else "CUDA_VISIBLE_DEVICES"
    visible = [d for d in os.environ.get(name, "").split(",") if d.strip()]
    return {name: visible[index] if index < len(visible) else str(index)}


def _rocm_build() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.version.hip is not None


def child_environment(scratch: Path, device: str, cache_dir: Path) -> dict[str, str]:
    env = {
        name: os.environ[name]
        for name in _ENV_ALLOWED
        if name in os.environ and not any(marker in name for marker in _SECRET_MARKERS)
    }
    # The child imports `filters` from wherever this process did, installed or from a source tree.
    package_root = str(Path(__file__).resolve().parent.parent)
    env.update(
        HOME=str(scratch),
        TMPDIR=str(scratch),
        PYTHONPATH=package_root,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        TRITON_CACHE_DIR=str(cache_dir),
        TORCHINDUCTOR_CACHE_DIR=str(cache_dir / "inductor"),
        # One thread each: the verifier runs several children at once on few cores.
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        # Inductor compiles the torch.compile baseline in this process, not in a pool of workers the
        # sandbox would have to let it spawn.
        TORCHINDUCTOR_COMPILE_THREADS="1",
    )
    if device == "cpu":
        env["TRITON_INTERPRET"] = "1"
    return env


class SandboxWorker:
    """A sandboxed child process that verifies candidates one after another: `load` one, `run` and `time`
    it, `unload` it, and the next. Use as a context manager; `close` always reaps the process group and
    deletes the scratch directory. Each request has `deadline` (the current candidate's); a missed deadline,
    a crash or a flood raises `SandboxError`, after which the worker must be closed, never reused."""

    def __init__(
        self,
        *,
        device: str,
        start_deadline: float,
        memory_limit_bytes: int | None,
        output_limit_bytes: int,
        max_result_bytes: int = 1 << 26,
        zygote: Zygote | None = None,
        cache_dir: Path | None = None,
        visible_device: int | None = None,
    ) -> None:
        self.device = device
        self.deadline = start_deadline
        self.max_result_bytes = max_result_bytes
        self.output_limit_bytes = output_limit_bytes
        self.served = 0  # candidates loaded so far
        self.runs = 0  # run requests sent for the current candidate
        self.scratch = Path(tempfile.mkdtemp(prefix="kerneldata-sandbox-"))
        self._candidate_dir: Path | None = None
        self._log = open(self.scratch / "output.log", "wb")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        env = child_environment(self.scratch, device, cache_dir or (self.scratch / "triton-cache"))
        if visible_device is not None:
            env.update(visible_devices_env(visible_device))
        limits = {"RLIMIT_FSIZE": output_limit_bytes, "RLIMIT_CORE": 0}
        if memory_limit_bytes is not None:
            limits["RLIMIT_AS"] = memory_limit_bytes
        try:
            if zygote is not None:
                self.proc = zygote.spawn(scratch=self.scratch, env=env, limits=limits,
                                         fds=[to_child_r, from_child_w, self._log.fileno()])
            else:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "filters.sandbox_child", str(to_child_r), str(from_child_w)],
                    pass_fds=(to_child_r, from_child_w),
                    cwd=self.scratch,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=self._log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                # Limits are set from outside (prlimit) rather than in a preexec_fn, which is unsafe in a
                # threaded parent such as a Ray actor. The child runs nothing of a candidate before `load`.
                for name, limit in limits.items():
                    resource.prlimit(self.proc.pid, getattr(resource, name), (limit, limit))
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        os.set_blocking(self._to_child, False)
        os.set_blocking(self._from_child, False)
        try:
            self.started, _ = self.request({"op": "start", "device": device}, [])
        except BaseException:
            self.close()
            raise
        self.confinement = self.started.get("confinement", [])

    @property
    def pid(self) -> int:
        return self.proc.pid

    def __enter__(self) -> SandboxWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        try:
            write_message(self._to_child, header, blobs, deadline=self.deadline)
            answer = read_message(self._from_child, max_blob_bytes=self.max_result_bytes, deadline=self.deadline)
        except DeadlineExceeded:
            raise SandboxError("timeout", "the candidate did not finish within the time limit") from None
        except MessageTooLarge as err:
            raise SandboxError("output_flood", f"the candidate sent back too much: {err}") from None
        except (ChannelClosed, ValueError, UnicodeDecodeError):
            raise self._crash() from None
        # Python ignores SIGXFSZ, so a flood shows as a write error inside the child; the log's size tells.
        if self._flooded():
            raise SandboxError("output_flood", "the candidate wrote more output than allowed")
        return answer

    def _flooded(self) -> bool:
        try:
            return (self.scratch / "output.log").stat().st_size >= self.output_limit_bytes
        except OSError:
            return False

    def load(self, code: str, init_inputs: list, init_seed: int, *, deadline: float,
             reference_source: str | None = None) -> tuple[dict, list[bytes]]:
        """Load a candidate (and, for timing baselines on a GPU, the reference) in a directory of its own;
        its requests share `deadline`."""
        self.deadline = deadline
        self.served += 1
        self.runs = 0
        # A plausible directory and module name, new per candidate (filters.disguise: issue 15 section 5).
        self._candidate_dir, module_name = candidate_location(self.scratch)
        self._candidate_dir.mkdir()
        candidate_path = self._candidate_dir / f"{module_name}.py"
        candidate_path.write_text(code)
        # The output cap is per candidate: start its log afresh (the child shares this file's offset).
        self._log.flush()
        os.lseek(self._log.fileno(), 0, os.SEEK_SET)
        os.ftruncate(self._log.fileno(), 0)
        header = {"op": "load", "candidate_dir": str(self._candidate_dir), "module_name": module_name,
                  "candidate_path": str(candidate_path), "init_seed": init_seed,
                  "reference_source": reference_source}
        return self.request(header, [tensors_to_bytes(init_inputs)])

    def unload(self, timeout_s: float = 30.0) -> dict:
        """Drop the current candidate. The answer's `changes` (what it changed in the process) and
        `unhealthy` (a broken GPU context) say the worker must not serve another."""
        self.deadline = time.monotonic() + timeout_s
        try:
            header, _ = self.request({"op": "unload"}, [])
        finally:
            if self._candidate_dir is not None:
                shutil.rmtree(self._candidate_dir, ignore_errors=True)
                self._candidate_dir = None
        return header

    def time(self, inputs: list, *, flush_bytes: int, baselines: list[str], budget_ms: float,
             warm_only: bool = False, max_calls: int = 100) -> dict:
        header, _ = self.request({"op": "time", "flush_bytes": flush_bytes, "baselines": baselines,
                                  "budget_ms": budget_ms, "warm_only": warm_only, "max_calls": max_calls},
                                 [tensors_to_bytes(inputs)])
        return header

    def run(self, inputs: list, variant: int = 0, *, poison: str = "nan", poison_seed: int = 0,
            reuse_inputs: bool = False, grad: bool = False) -> tuple[dict, list[bytes]]:
        """Run forward once. `variant` picks which autotune config the interpreter runs (the GPU benchmarks);
        `poison` what fresh allocations hold (filters.disguise); `reuse_inputs` runs on the previous call's
        input tensors, the same objects, with these contents copied into them; `grad` runs it with autograd
        enabled (as in training) rather than under no_grad (as in inference)."""
        self.runs += 1
        return self.request({"op": "run", "variant": variant, "poison": poison, "poison_seed": poison_seed,
                             "reuse_inputs": reuse_inputs, "grad": grad}, [tensors_to_bytes(inputs)])

    def _crash(self) -> SandboxError:
        try:
            code = self.proc.wait(timeout=max(0.0, min(5.0, self.deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            return SandboxError("crashed", "the candidate broke the protocol with the verifier")
        if code == -signal.SIGXFSZ or self._flooded():
            return SandboxError("output_flood", "the candidate wrote more output than allowed")
        if code < 0:
            name = signal.Signals(-code).name
            return SandboxError("crashed", f"the candidate's process died of {name}{self._tail()}")
        return SandboxError("crashed", f"the candidate's process exited with code {code}{self._tail()}")

    def _tail(self) -> str:
        self._log.flush()
        try:
            with open(self.scratch / "output.log", "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 300))
                text = log.read().decode(errors="replace").strip().splitlines()
        except OSError:
            return ""
        return f": {text[-1][:200]}" if text else ""

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                write_message(self._to_child, {"op": "exit"}, deadline=time.monotonic() + 0.5)
                self.proc.wait(timeout=1.0)
            except (DeadlineExceeded, ChannelClosed, subprocess.TimeoutExpired):
                pass
        # Kill the whole group: whatever the candidate spawned dies with it.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10.0)
        except subprocess.TimeoutExpired:  # SIGKILLed; a zygote that is slow to reap it will reap it later
            pass
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)


class _ZygoteChild:
    """The piece of subprocess.Popen's interface the sandbox uses, for a child forked by a zygote."""

    def __init__(self, pid: int, zygote: Zygote) -> None:
        self.pid = pid
        self._zygote = zygote
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._zygote.status(self.pid, timeout_s=0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._zygote.status(self.pid, timeout_s=5.0 if timeout is None else timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(str(self.pid), timeout)
        return self.returncode


class Zygote:
    """Parent side of `filters.zygote`: starts it once (in the scrubbed environment, for one device kind)
    and asks it for children. Thread-safe: requests are serialised."""

    def __init__(self, device: str) -> None:
        import socket
        import threading

        self._lock = threading.Lock()
        self._home = Path(tempfile.mkdtemp(prefix="kerneldata-zygote-"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = child_environment(self._home, device, self._home / "triton-cache")
        self.proc = subprocess.Popen([sys.executable, "-m", "filters.zygote", str(theirs.fileno())],
                                     pass_fds=(theirs.fileno(),), cwd=self._home, env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=open(self._home / "zygote.log", "wb"), start_new_session=True)
        theirs.close()
        self._sock = ours
        self._reader = ours.makefile("rb")

    def _ask(self, request: dict, fds: list[int] = ()) -> dict:
        import json
        import socket

        with self._lock:
            socket.send_fds(self._sock, [json.dumps(request).encode()], list(fds))
            line = self._reader.readline()
        if not line:
            raise RuntimeError(f"the sandbox zygote died; see {self._home / 'zygote.log'}")
        return json.loads(line)

    def spawn(self, *, scratch: Path, env: dict, limits: dict, fds: list[int]) -> _ZygoteChild:
        reply = self._ask({"op": "spawn", "scratch": str(scratch), "env": env, "limits": limits}, fds)
        return _ZygoteChild(reply["pid"], self)

    def status(self, pid: int, *, timeout_s: float) -> int | None:
        return self._ask({"op": "wait", "pid": pid, "timeout_s": timeout_s})["status"]

    def close(self) -> None:
        try:
            self._ask({"op": "exit"})
        except (OSError, RuntimeError, ValueError):
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._reader.close()
        self._sock.close()
        shutil.rmtree(self._home, ignore_errors=True)
