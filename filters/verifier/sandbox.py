"""The parent side of the sandbox: a sandboxed worker process for candidates, bounded in time, memory and
output.

What it guarantees: candidates run in a child process started fresh (never forked from a process that
holds a GPU context), each in a directory of its own beneath the worker's scratch directory, which is
deleted after; a worker serves candidates one after another only as long as none faults, changes the
process (`filters.verifier.integrity`, checked at `unload`), trips the sandbox, or leaves anything behind;
its environment is rebuilt from an allow-list, so no token, key or secret of ours is visible to it; every
exchange has a deadline, after which the worker and everything it started are killed; output files are
capped (RLIMIT_FSIZE), scratch in total is checked at `unload`, and on CPU the address space is capped
(RLIMIT_AS). A crash, hang or fault of the child costs that candidate, never the caller.

Where bubblewrap runs (`filters.verifier.isolation`), the worker is a fresh interpreter inside it: its own PID,
network, IPC, UTS and mount namespaces, a read-only root of what a kernel needs, private /tmp and /dev/shm,
an unprivileged uid with a process limit. After each candidate the parent looks into the namespace from
outside, and a process or file left there rejects the candidate and retires the worker. Where it does not,
workers are forked from a zygote (`filters.verifier.zygote`) into a process group of their own, which is killed at
the end, and `verify.require_isolation` decides whether that is acceptable.

Before the candidate is loaded the child confines itself (`filters.verifier.confine`): a network namespace of its
own, Landlock (writes only beneath scratch, the caches and /dev; no TCP; no signals outside), and an audit
hook that refuses network calls, writes outside scratch, spawning and signalling, which the verifier turns
into `rejected` at stage `sandbox`. The hook writes each refusal the moment it happens to a pipe that only
this side reads (`SandboxWorker.violations`): that record stands whatever the candidate does to the child's
own list or answers. Which layers are active is reported (`SandboxWorker.confinement`,
`Runtime.confinement`). Not covered: a kernel exploit; Python-level tampering with the audit hook's policy
object (the other layers do not depend on it); seccomp.
"""

from __future__ import annotations

import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from filters.verifier import isolation
from filters.verifier.deadline import CpuDeadline, RequestBudget, remaining
from filters.verifier.disguise import PLAIN, Ambient, candidate_location
from filters.verifier.ipc import (
    ChannelClosed,
    DeadlineExceeded,
    MessageTooLarge,
    read_message,
    pack_tensors,
    tensors_to_bytes,
    widen_pipe,
    write_message,
)
from filters.verifier.protocol import ProtocolViolation, validated

# Environment variables the child may inherit; everything else (HF_TOKEN, OPENAI_API_KEY, AWS_*, ...) is
# dropped. A name on this list that still looks like a secret is dropped too.
_ENV_ALLOWED = (
    "PATH", "LANG", "LC_ALL", "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_PATH", "ROCM_PATH", "HIP_PATH",
    "CUDA_VISIBLE_DEVICES", "HIP_VISIBLE_DEVICES", "ROCR_VISIBLE_DEVICES", "CC", "TRITON_PTXAS_PATH",
    "TRITON_HIP_LLD_PATH",
)
_SECRET_MARKERS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "CREDENTIAL")
# Under the worker's scratch: the worker's own compile caches, and each candidate's (`SandboxWorker.load`).
WORKER_CACHES = "compile-caches"
# The worker's output, in the host's scratch (under bwrap the worker sees a tmpfs there instead).
LOG_NAME = "output.log"


class SandboxError(Exception):
    """The child did not answer as the protocol says: `reason` is one of timeout, crashed, output_flood,
    protocol (an answer that is not a message of `filters.verifier.protocol`)."""

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


def child_environment(scratch: Path, device: str) -> dict[str, str]:
    env = {
        name: os.environ[name]
        for name in _ENV_ALLOWED
        if name in os.environ and not any(marker in name for marker in _SECRET_MARKERS)
    }
    # The child imports `filters` from wherever this process did, installed or from a source tree.
    package_root = str(Path(__file__).resolve().parents[2])
    env.update(
        HOME=str(scratch),
        TMPDIR=str(scratch),
        PYTHONPATH=package_root,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        # The worker's own compile caches; each candidate compiles into a directory of its own instead
        # (`SandboxWorker.load`), removed with it, so nothing one compiles or plants there reaches another.
        TRITON_CACHE_DIR=str(scratch / WORKER_CACHES / "triton"),
        TORCHINDUCTOR_CACHE_DIR=str(scratch / WORKER_CACHES / "inductor"),
        # No JIT caches of the CUDA driver or PyTorch's jiterator kept in the worker: they would outlive the
        # candidate (and be found as files it left).
        CUDA_CACHE_DISABLE="1",
        USE_PYTORCH_KERNEL_CACHE="0",
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
        visible_device: int | None = None,
        require_isolation: bool = False,
        scratch_limit_bytes: int = 512 << 20,
    ) -> None:
        self._bwrap = isolation.usable_bwrap()
        if require_isolation and self._bwrap is None:
            isolation.require([])  # raises, naming the first missing layer, before anything is made
        self.device = device
        self.deadline = start_deadline
        self.max_result_bytes = max_result_bytes
        self.output_limit_bytes = output_limit_bytes
        self.scratch_limit_bytes = scratch_limit_bytes
        self.served = 0  # candidates loaded so far
        self.runs = 0  # run requests sent for the current candidate
        # What the audit hook reported on its own pipe for the current candidate (reason, detail): ours, not
        # the child's account, which a candidate could edit.
        self.violations: list[tuple[str, str]] = []
        self.scratch = Path(tempfile.mkdtemp(prefix="kerneldata-sandbox-"))
        self._candidate_dir: Path | None = None
        self._log = open(self.scratch / LOG_NAME, "wb")
        self._compile_dir: Path | None = None
        self._scratch_before: dict[str, tuple] = {}
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        widen_pipe(self._to_child)
        widen_pipe(self._from_child)
        self._violations_r, violations_w = os.pipe()
        env = child_environment(self.scratch, device)
        if visible_device is not None:
            env.update(visible_devices_env(visible_device))
        limits = {"RLIMIT_FSIZE": output_limit_bytes, "RLIMIT_CORE": 0}
        if memory_limit_bytes is not None:
            limits["RLIMIT_AS"] = memory_limit_bytes
        start = {"op": "start", "device": device}
        self._init_pid: int | None = None
        self._worker_pid: int | None = None
        parts = self.scratch.parts
        self._bound_under_tmp = {parts[2]} if len(parts) > 2 and parts[1] == "tmp" else set()
        fds = (to_child_r, from_child_w, violations_w)
        argv = [sys.executable, "-m", "filters.verifier.sandbox_child", *map(str, fds)]
        try:
            if self._bwrap is not None:
                # Each worker is a fresh interpreter in a bwrap of its own (filters.verifier.isolation): a zygote's
                # children would share one PID namespace and /tmp. Limits travel in the start request, since
                # bwrap stands between us and the worker; a root verifier's worker drops to an unprivileged uid.
                start.update(limits=limits, nproc_limit=isolation.NPROC_LIMIT)
                if os.geteuid() == 0:
                    start["drop_to_uid"] = isolation.SANDBOX_UID
                    os.chown(self.scratch, isolation.SANDBOX_UID, isolation.SANDBOX_UID)
                command = isolation.sandbox_command(argv, binary=self._bwrap, scratch=self.scratch,
                                                    scratch_bytes=scratch_limit_bytes, env=env)
                self.proc = subprocess.Popen(command, pass_fds=fds, cwd=self.scratch, env={},
                                             stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
                                             start_new_session=True)
            elif zygote is not None:
                self.proc = zygote.spawn(scratch=self.scratch, env=env, limits=limits,
                                         fds=[to_child_r, from_child_w, self._log.fileno(), violations_w])
            else:
                self.proc = subprocess.Popen(
                    argv,
                    pass_fds=fds,
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
            for fd in fds:
                os.close(fd)
        os.set_blocking(self._to_child, False)
        os.set_blocking(self._from_child, False)
        os.set_blocking(self._violations_r, False)
        try:
            self.started, _ = self.request(start, [])
            self.confinement = (isolation.outer_layers_names() if self._bwrap else ()) + \
                tuple(self.started.get("confinement", []))
            self.confinement = list(self.confinement)
            if self._bwrap is not None:
                self._find_namespace()
            if require_isolation:
                isolation.require(self.confinement)
        except BaseException:
            self.close()
            raise

    def _find_namespace(self) -> None:
        """Remember bwrap's init and the worker (host pids): anything else in their namespace is a candidate's."""
        self._init_pid = isolation.namespace_init(self.proc.pid)
        if self._init_pid is None:
            raise SandboxError("crashed", "the sandbox's PID namespace could not be found")
        members = isolation.namespace_members(self._init_pid)
        workers = [pid for pid in members if pid != self._init_pid]
        self._worker_pid = min(workers) if workers else None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def __enter__(self) -> SandboxWorker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def request(self, header: dict, blobs: list[bytes]) -> tuple[dict, list[bytes]]:
        budget = self.deadline if isinstance(self.deadline, RequestBudget) else None
        if budget is not None:
            budget.start()
        try:
            write_message(self._to_child, header, blobs, deadline=self.deadline)
            answer = read_message(self._from_child, max_blob_bytes=self.max_result_bytes, deadline=self.deadline)
        except DeadlineExceeded:
            raise SandboxError("timeout", "the candidate did not finish within the time limit") from None
        except MessageTooLarge as err:
            raise SandboxError("output_flood", f"the candidate sent back too much: {err}") from None
        except (ChannelClosed, ValueError, UnicodeDecodeError):
            raise self._crash() from None
        finally:
            if budget is not None:
                budget.stop()
        # Python ignores SIGXFSZ, so a flood shows as a write error inside the child; the log's size tells.
        if self._flooded():
            raise SandboxError("output_flood", "the candidate wrote more output than allowed")
        self._read_violations()
        if self.violations and header.get("op") not in ("start", "unload"):
            # What the hook reported on its own pipe stands, whatever the answer says.
            reason, detail = self.violations[0]
            return {"ok": False, "kind": "sandbox", "reason": reason, "message": detail}, []
        try:
            return validated(header["op"], *answer), answer[1]
        except ProtocolViolation as err:  # a forged or corrupted answer: the candidate's doing, never trusted
            raise SandboxError("protocol", str(err)) from None

    def _read_violations(self) -> None:
        """Drain the audit hook's pipe (the child writes a line before raising in the candidate, so a
        violation made while serving a request is there by the time its answer is)."""
        data = b""
        while len(data) < 1 << 16:
            try:
                chunk = os.read(self._violations_r, 1 << 14)
            except BlockingIOError:
                break
            if not chunk:
                break
            data += chunk
        for line in data.decode(errors="replace").splitlines():
            reason, _, detail = line.partition("\t")
            if len(self.violations) < 16:
                self.violations.append((reason[:40], detail[:300]))

    def _flooded(self) -> bool:
        try:
            return (self.scratch / "output.log").stat().st_size >= self.output_limit_bytes
        except OSError:
            return False

    def candidate_deadline(self, seconds: float):
        """The deadline of one candidate's requests: on CPU `seconds` of the worker's own CPU time (capped in
        wall time, filters.verifier.deadline), so the verdict does not depend on how busy the machine is; on
        a GPU `seconds` of wall time spent in requests (`RequestBudget`: the verifier's own work between them,
        which grows with the problem's size, is not the candidate's)."""
        if self.device == "cpu":
            return CpuDeadline(self._worker_pid or self.pid, seconds)
        return RequestBudget(seconds)

    def load(self, code: str, init_inputs: list, init_seed: int, *, deadline,
             reference_source: str | None = None, workload_sources: list[str] | None = None,
             twin_seed: int | None = None, twin_first: bool = False) -> tuple[dict, list[bytes]]:
        """Load a candidate (and, for timing baselines on a GPU, the reference and the references of the
        spec's other workloads) in a directory of its own; its requests share `deadline`. With `twin_seed`, a
        second instance built under that seed, before the first where `twin_first` (`run(..., twin=True)`)."""
        self.deadline = deadline
        self.served += 1
        self.runs = 0
        self.violations = []
        # What the scratch holds before the candidate: anything it leaves there is found at unload.
        self._scratch_before = isolation.tree_listing(self._seen_by_us(self.scratch))
        # A plausible directory and module name, new per candidate (filters.verifier.disguise: issue 15 section 5).
        while True:
            self._candidate_dir, module_name = candidate_location(self.scratch)
            try:
                self._seen_by_us(self._candidate_dir).mkdir()
                break
            except FileExistsError:  # under bwrap, candidate_location cannot see the worker's scratch
                continue
        candidate_path = self._candidate_dir / f"{module_name}.py"
        self._seen_by_us(candidate_path).write_text(code)
        # Its compile caches (Triton's, Inductor's for the baseline): its own, and gone with it. A cache shared
        # with later candidates is one a candidate could plant a kernel in, for their code or their baseline.
        self._compile_dir = self.scratch / WORKER_CACHES / secrets.token_hex(6)
        self._seen_by_us(self._compile_dir).mkdir(parents=True)
        if self._bwrap is not None and os.geteuid() == 0:
            for directory in (self._candidate_dir, self._compile_dir, self._compile_dir.parent):
                os.chown(self._seen_by_us(directory), isolation.SANDBOX_UID, isolation.SANDBOX_UID)
        # The output cap is per candidate: start its log afresh (the child shares this file's offset).
        self._log.flush()
        os.lseek(self._log.fileno(), 0, os.SEEK_SET)
        os.ftruncate(self._log.fileno(), 0)
        header = {"op": "load", "candidate_dir": str(self._candidate_dir), "module_name": module_name,
                  "candidate_path": str(candidate_path), "compile_dir": str(self._compile_dir),
                  "init_seed": init_seed, "twin_seed": twin_seed, "twin_first": bool(twin_first),
                  "reference_source": reference_source, "workload_sources": list(workload_sources or ())}
        return self.request(header, [tensors_to_bytes(init_inputs)])

    def unload(self, timeout_s: float = 30.0) -> dict:
        """Drop the current candidate. The answer's `changes` (what it changed in the process, what the hook
        reported, what it left behind: seen from outside) and `unhealthy` (a broken GPU context) say the
        worker must not serve another."""
        self.deadline = time.monotonic() + timeout_s
        try:
            header, _ = self.request({"op": "unload"}, [])
            changes = [c for c in header.get("changes") or [] if isinstance(c, str)]
            changes += [f"the sandbox refused: {detail}" for _, detail in self.violations[:2]]
            changes += self._left_behind()
            header["changes"] = changes
        finally:
            for directory in (self._candidate_dir, self._compile_dir):
                if directory is not None:
                    shutil.rmtree(self._seen_by_us(directory), ignore_errors=True)
            self._candidate_dir = self._compile_dir = None
        # With its directories gone, the scratch must be as the candidate found it.
        left = isolation.listing_changes(self._scratch_before, isolation.tree_listing(self._seen_by_us(self.scratch)),
                                         ignore={LOG_NAME})
        header["changes"] = header.get("changes", []) + [f"{change} in the scratch" for change in left[:4]]
        return header

    def _seen_by_us(self, path: Path) -> Path:
        """`path` (in the worker's view) as this process reaches it: under bwrap the scratch is a tmpfs in
        the worker's mount namespace, reached through its init's /proc entry."""
        if self._init_pid is None:
            return path
        return Path(f"/proc/{self._init_pid}/root{path}")

    def _left_behind(self) -> list[str]:
        """Processes and files the candidate left in the sandbox, and scratch use over its cap, as measured
        here: the child's account is not asked."""
        found = []
        if self._init_pid is not None:
            found += isolation.leftovers(self._init_pid, worker_pid=self._worker_pid,
                                         bound_under_tmp=self._bound_under_tmp)
        # Under bwrap the scratch tmpfs holds no more than its size; elsewhere count what is on the disk.
        used = 0 if self._init_pid is not None else isolation.tree_bytes(self.scratch)
        if used > self.scratch_limit_bytes:
            found.append(f"{used} bytes written to scratch, more than the {self.scratch_limit_bytes} allowed")
        return found

    def time(self, inputs: list, *, flush_bytes: int, baselines: list[str], budget_ms: float,
             warm_only: bool = False, max_calls: int = 100, placements: int = 1, workload: int = 0) -> dict:
        """Time the candidate and the baselines of workload `workload` (0: the shown one) on `inputs`, over
        `placements` placements of them in memory (filters.verifier.timing.over_placements)."""
        header, _ = self.request({"op": "time", "flush_bytes": flush_bytes, "baselines": baselines,
                                  "budget_ms": budget_ms, "warm_only": warm_only, "max_calls": max_calls,
                                  "placements": placements, "workload": workload},
                                 [pack_tensors(inputs)])
        return header

    def set_parameters(self, keys: list[str], constants: list[float], values: list) -> dict:
        """Give the loaded candidate the reference's re-drawn tensors (`_Session.set_parameters`); the
        answer's `unmatched` names those it holds no tensor for."""
        header, _ = self.request({"op": "params", "keys": keys, "constants": constants},
                                 [tensors_to_bytes(values)])
        return header

    def run(self, inputs: list, variant: int = 0, *, poison: str = "nan", poison_seed: int = 0,
            reuse_inputs: bool = False, grad: str = "no_grad", grad_inputs: tuple[bool, ...] = (),
            offset: bool = False, eval_mode: bool = False, frozen: bool = False, same_as: list[int] | None = None,
            twin: bool = False, ambient: Ambient = PLAIN) -> tuple[dict, list[bytes]]:
        """Run forward once. `variant` picks which autotune config the interpreter runs (the GPU benchmarks);
        `poison` what fresh allocations hold (filters.verifier.disguise); `reuse_inputs` runs on the previous call's
        input tensors, the same objects, with these contents copied into them; `grad` runs it with autograd
        enabled (as in training), under no_grad or in inference mode (disguise.GRAD_MODES), with the floating inputs
        `grad_inputs` marks requiring grad (outside inference mode); `offset` hands over
        fresh inputs part way into a larger storage (disguise.input_offset); `eval_mode` calls it with its
        modules in eval mode (else in the modes they were built in); `frozen` with its parameters frozen
        (`requires_grad_(False)`); `same_as` (per input, the index of the input it is handed as: inputs.one_object_sources)
        hands inputs over as one tensor object; `twin` calls the second instance (`load`'s `twin_seed`);
        `ambient` under those process-wide modes
        (autocast and its dtype, the TF32 switches, whether the candidate is told torch.compile traces it)."""
        self.runs += 1
        return self.request({"op": "run", "variant": variant, "poison": poison, "poison_seed": poison_seed,
                             "reuse_inputs": reuse_inputs, "grad": grad, "grad_inputs": [bool(m) for m in grad_inputs],
                             "offset": offset, "eval": eval_mode, "frozen": bool(frozen),
                             "same_as": None if same_as is None else [int(i) for i in same_as], "twin": bool(twin), "autocast": ambient.autocast, "tf32": ambient.tf32,
                              "compiling": ambient.compiling},
                            [pack_tensors(inputs)])

    def _crash(self) -> SandboxError:
        try:
            code = self.proc.wait(timeout=max(0.0, min(5.0, remaining(self.deadline))))
        except subprocess.TimeoutExpired:
            return SandboxError("crashed", "the candidate broke the protocol with the verifier")
        if self._bwrap is not None and 128 < code < 128 + 65:
            code = 128 - code  # bwrap exits with 128 + the signal that killed the worker
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
        # Kill the whole group: whatever the candidate spawned dies with it. Under bwrap, killing the
        # namespace's init kills every process in the namespace, wherever it moved to.
        if self._init_pid is not None and self.proc.poll() is None:
            try:
                os.kill(self._init_pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=10.0)
        except subprocess.TimeoutExpired:  # SIGKILLed; a zygote that is slow to reap it will reap it later
            pass
        if self._init_pid is not None:
            # The kernel ends the namespace's processes as its init exits: wait for that, so that nothing
            # of the candidate's outlives close() (its init is reaped by whoever adopts it, not us).
            isolation.wait_for_exit(self._init_pid, timeout_s=10.0)
        for fd in (self._to_child, self._from_child, self._violations_r):
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
    """Parent side of `filters.verifier.zygote`: starts it once (in the scrubbed environment, for one device kind)
    and asks it for children. Thread-safe: requests are serialised."""

    def __init__(self, device: str) -> None:
        import socket
        import threading

        self._lock = threading.Lock()
        self._home = Path(tempfile.mkdtemp(prefix="kerneldata-zygote-"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = child_environment(self._home, device)
        self.proc = subprocess.Popen([sys.executable, "-m", "filters.verifier.zygote", str(theirs.fileno())],
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
