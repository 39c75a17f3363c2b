"""The parent side of the sandbox: one candidate, one fresh process, bounded in time, memory and output.

What it guarantees: the candidate runs in a child process started fresh (never forked from a process that
holds a GPU context), in its own process group and session, in a scratch directory that is deleted after;
its environment is rebuilt from an allow-list, so no token, key or secret of ours is visible to it; every
exchange has a deadline, after which the whole process group is killed; output files are capped
(RLIMIT_FSIZE) and, on CPU, so is its address space (RLIMIT_AS). A crash, hang or fault of the child costs
that candidate, never the caller.

What it does not (yet) guarantee, and issue 3 adds: no network (it needs a network namespace), a read-only
view of the filesystem outside scratch, seccomp against spawning processes.
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
        # One thread each: the verifier runs several children at once on few cores.
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    if device == "cpu":
        env["TRITON_INTERPRET"] = "1"
    return env


class CandidateProcess:
    """A sandboxed child holding one loaded candidate. Use as a context manager; `close` always reaps the
    process group and deletes the scratch directory."""

    def __init__(
        self,
        code: str,
        *,
        device: str,
        deadline: float,
        memory_limit_bytes: int | None,
        output_limit_bytes: int,
        max_result_bytes: int,
    ) -> None:
        self.device = device
        self.deadline = deadline
        self.max_result_bytes = max_result_bytes
        self.output_limit_bytes = output_limit_bytes
        self.scratch = Path(tempfile.mkdtemp(prefix="kerneldata-sandbox-"))
        (self.scratch / "candidate.py").write_text(code)
        cache_dir = self.scratch / "triton-cache"
        cache_dir.mkdir()
        self._log = open(self.scratch / "output.log", "wb")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "filters.sandbox_child", str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                cwd=self.scratch,
                env=child_environment(self.scratch, device, cache_dir),
                stdin=subprocess.DEVNULL,
                stdout=self._log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        os.set_blocking(self._to_child, False)
        os.set_blocking(self._from_child, False)
        # Limits are set from outside (prlimit) rather than in a preexec_fn, which is unsafe in a threaded
        # parent such as a Ray actor. The child runs nothing of the candidate before its first message.
        resource.prlimit(self.proc.pid, resource.RLIMIT_FSIZE, (output_limit_bytes, output_limit_bytes))
        resource.prlimit(self.proc.pid, resource.RLIMIT_CORE, (0, 0))
        if memory_limit_bytes is not None:
            resource.prlimit(self.proc.pid, resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))

    def __enter__(self) -> CandidateProcess:
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

    def load(self, init_inputs: list, init_seed: int) -> tuple[dict, list[bytes]]:
        header = {"device": self.device, "candidate_path": str(self.scratch / "candidate.py"), "init_seed": init_seed}
        return self.request(header, [tensors_to_bytes(init_inputs)])

    def run(self, inputs: list) -> tuple[dict, list[bytes]]:
        return self.request({"op": "run"}, [tensors_to_bytes(inputs)])

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
        self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._log.close()
        shutil.rmtree(self.scratch, ignore_errors=True)
