"""Confinement a sandboxed child applies to itself before any candidate code exists in it.

Three layers, each used where the machine allows it, none trusted alone:

1. A network namespace of its own (`unshare(CLONE_NEWNET)`, or with a user namespace where we are not
   root): no interface but a loopback that is down, so no connection goes anywhere, localhost included.
2. Landlock (Linux 5.13+, unprivileged): writing, creating, deleting or truncating files only beneath the
   scratch and cache directories and /dev (GPU device nodes, /dev/null, /dev/shm); with ABI 4+ no TCP bind
   or connect at all; with ABI 6+ no signals to processes outside the sandbox (its parent, the verifier).
   It binds native code too: a kernel launcher, ctypes, anything the process or its children run.
3. A Python audit hook (PEP 578, cannot be removed once added): network calls, file writes outside the
   allowed roots, spawning processes (unless Triton's or torch's own code asks: ptxas, the C compiler for
   driver stubs), and signals to other processes
   raise in the candidate and are recorded, and are written the moment they happen to a pipe only the
   verifier reads, so the verifier rejects the candidate with the reason even if the candidate swallowed
   the error or emptied the in-process list. A candidate that closes or replaces that pipe dies at its
   next violation (a crash, rejected).

Inside bubblewrap (`filters.verifier.isolation`), a worker started by root first drops to an unprivileged uid, so
that RLIMIT_NPROC, set once layer 1 has put it in a user namespace of its own, binds and counts only its
own tasks (layer `nproc`).

What it does not do by itself: stop a native-code fork from outliving the worker, or restrict reading
files; bubblewrap's PID and mount namespaces do that where it runs (`filters.verifier.isolation`). Python code in
the process can rewrite the audit policy object itself: layers 1 and 2 and bubblewrap do not depend on it.
No seccomp.
"""

from __future__ import annotations

import ctypes
import errno
import os
import resource
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Landlock, from <linux/landlock.h>. The syscall numbers are the same on every architecture.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_DUMPABLE = 4
_FS_WRITE_FILE = 1 << 1
_FS_WRITE_KINDS_ABI1 = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | \
    (1 << 11) | (1 << 12)  # write, remove dir/file, make char/dir/reg/sock/fifo/block/sym
_FS_REFER, _FS_TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

_CLONE_NEWNET, _CLONE_NEWUSER = 0x40000000, 0x10000000


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)


def landlock_abi() -> int:
    """The Landlock ABI version this kernel offers, 0 where it has none (or it is disabled)."""
    version = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(version), 0)


def apply_landlock(writable: list[Path]) -> list[str]:
    """Restrict this process (and what it starts) to writing beneath `writable`, without TCP, without
    signalling outside. Returns the layers applied, [] where Landlock is unavailable."""
    abi = landlock_abi()
    if abi < 1:
        return []
    handled_fs = _FS_WRITE_KINDS_ABI1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(handled_access_fs=handled_fs,
                        handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        scoped=(_SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET) if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24  # the struct grew with the ABI
    ruleset = _libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        return []
    try:
        for root in writable:
            try:
                fd = os.open(root, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                rule = _PathBeneathAttr(allowed_access=handled_fs, parent_fd=fd)
                if _libc.syscall(_SYS_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                                 ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule({root})")
            finally:
                os.close(fd)
        if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            return []
        if _libc.syscall(_SYS_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            return []
    finally:
        os.close(ruleset)
    layers = ["landlock-fs"]
    if abi >= 4:
        layers.append("landlock-tcp")
    if abi >= 6:
        layers.append("landlock-signals")
    return layers


def enter_network_namespace() -> bool:
    """Move this (single-threaded) process into a network namespace of its own."""
    if _libc.unshare(_CLONE_NEWNET) == 0:
        return True
    if ctypes.get_errno() != errno.EPERM:
        return False
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return False
    try:  # keep our own ids inside the user namespace, so scratch stays ours
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    except OSError:
        pass
    return True


def _package_dir(name: str) -> str | None:
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    return os.path.dirname(os.path.realpath(path)) + os.sep if path else None


# Triton and Inductor start processes of their own (ptxas, the C compiler for driver stubs, `file`,
# `ldconfig`): a spawn is theirs when the innermost caller outside the standard library is their code.
_STDLIB_DIR = os.path.dirname(os.path.realpath(os.__file__)) + os.sep


def _spawned_by_trusted_library() -> bool:
    trusted = [d for d in (_package_dir("triton"), _package_dir("torch")) if d]
    frame = sys._getframe(2)
    while frame is not None:
        filename = os.path.realpath(frame.f_code.co_filename)
        in_stdlib = filename.startswith(_STDLIB_DIR) and "-packages" not in filename
        if not in_stdlib and not filename.startswith(os.path.dirname(os.path.realpath(__file__)) + os.sep):
            return any(filename.startswith(d) for d in trusted)
        frame = frame.f_back
    return False

_NETWORK_EVENTS = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
                   "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
_SPAWN_EVENTS = {"os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn",
                 "os.startfile"}
_PATH_WRITE_EVENTS = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link",
                      "os.symlink", "os.truncate", "os.utime", "shutil.rmtree", "shutil.move", "shutil.copyfile",
                      "shutil.copytree", "shutil.chown", "shutil.make_archive", "shutil.unpack_archive"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


# The exit code of a worker whose violation pipe was closed or replaced: it cannot report, so it stops.
_TAMPERED_EXIT = 86


class SandboxViolation(PermissionError):
    """Raised inside the candidate when it does what the sandbox forbids."""


@dataclass
class AuditPolicy:
    """What the audit hook allows, and what it has refused so far (`violations`: (reason, detail)).

    Each refusal is also written, the moment it happens, to `report_fd`: a pipe whose other end only the
    verifier reads. Emptying `violations` therefore hides nothing. A candidate that closes or replaces the
    descriptor (checked by its identity before each write) kills its own process instead, which the
    verifier rejects as a crash."""

    writable: list[str]
    violations: list[tuple[str, str]] = field(default_factory=list)
    pid: int = field(default_factory=os.getpid)
    report_fd: int | None = None
    _report_identity: tuple[int, int] | None = None
    _reported: int = 0

    def __post_init__(self) -> None:
        if self.report_fd is not None:
            st = os.fstat(self.report_fd)
            self._report_identity = (st.st_dev, st.st_ino)

    def _refuse(self, reason: str, detail: str) -> None:
        if len(self.violations) < 16:
            self.violations.append((reason, detail))
        self._report(reason, detail)
        raise SandboxViolation(f"kerneldata sandbox: {detail}")

    def _report(self, reason: str, detail: str) -> None:
        if self.report_fd is None or self._reported >= 64:  # the first ones reject; the rest add nothing
            return
        self._reported += 1
        # One write under PIPE_BUF bytes is atomic: the verifier reads whole lines.
        line = f"{reason}\t{detail}".replace("\n", " ")[:400].encode(errors="replace") + b"\n"
        try:
            st = os.fstat(self.report_fd)
            if (st.st_dev, st.st_ino) != self._report_identity:
                raise OSError("the violation pipe was replaced")
            os.write(self.report_fd, line)
        except OSError:
            os._exit(_TAMPERED_EXIT)

    def _writable(self, path) -> bool:
        if isinstance(path, int):
            return True  # an already open descriptor: opening it was checked
        try:
            real = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return any(real == root or real.startswith(root + os.sep) for root in self.writable)

    def __call__(self, event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = (tuple(args) + (None, None, None))[:3]
            wants_write = (isinstance(mode, str) and any(ch in mode for ch in "wax+")) or \
                (isinstance(flags, int) and flags & _WRITE_FLAGS)
            if wants_write and path is not None and not self._writable(path):
                self._refuse("file_write", f"opening {path!r} for writing outside the scratch directory")
        elif event in _NETWORK_EVENTS:
            self._refuse("network_access", f"{event}{_short(args)}")
        elif event in _SPAWN_EVENTS or event == "subprocess.Popen":
            if not _spawned_by_trusted_library():
                what = f"starting {args[0]!r}" if event == "subprocess.Popen" and args else f"{event}{_short(args)}"
                self._refuse("process_spawn", what)
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            target = args[0] if args else None
            if event == "os.kill" and target in (0, self.pid):
                return
            if event == "os.killpg" and target == os.getpgid(0):
                return
            if event == "signal.pthread_kill":
                return  # a thread of this process: nothing outside is reached
            self._refuse("signal_sent", f"{event}{_short(args)}")
        elif event in _PATH_WRITE_EVENTS:
            paths = [a for a in args[:2] if isinstance(a, (str, bytes, os.PathLike))]
            if not all(self._writable(p) for p in paths):
                self._refuse("file_write", f"{event}{_short(args)} outside the scratch directory")


def _short(args: tuple) -> str:
    text = repr(tuple(args))
    return text if len(text) <= 120 else text[:117] + "..."


_POLICY: list[AuditPolicy] = []


def drop_privileges(uid: int) -> bool:
    """Become `uid` (and its gid, no supplementary groups) if we are root: RLIMIT_NPROC does not bind root.
    Stays dumpable so that the user namespace `enter_network_namespace` makes can still be mapped."""
    if os.getuid() != 0:
        return False
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0)
    return True


def confine(writable: list[Path], *, report_fd: int | None = None, drop_to_uid: int | None = None,
            nproc_limit: int | None = None) -> tuple[AuditPolicy, list[str]]:
    """Apply every layer this machine allows; returns the audit policy (for its violations) and the names of
    the layers applied. Call once, in a single-threaded child, before candidate code is loaded.

    `drop_to_uid` (inside bwrap, whose mounts let that uid read what it needs): a root worker becomes that
    uid first. `nproc_limit`: RLIMIT_NPROC, set once the process is in a user namespace of its own, where
    the kernel counts only this worker's tasks against it; reported as layer `nproc` only where it binds
    (not for root)."""
    roots = [os.path.realpath(p) for p in writable]
    layers = []
    if drop_to_uid is not None:
        drop_privileges(drop_to_uid)
    if enter_network_namespace():
        layers.append("netns")
    if nproc_limit is not None:
        hard = resource.getrlimit(resource.RLIMIT_NPROC)[1]
        limit = nproc_limit if hard == resource.RLIM_INFINITY else min(nproc_limit, hard)
        resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))
        if os.getuid() != 0:
            layers.append("nproc")
    layers += apply_landlock([Path(r) for r in roots])
    policy = AuditPolicy(writable=roots, report_fd=report_fd)
    if not _POLICY:  # audit hooks cannot be removed: one per process
        sys.addaudithook(policy)
        _POLICY.append(policy)
    layers.append("audit")
    return _POLICY[0], layers
