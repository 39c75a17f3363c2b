"""The outer layer of the sandbox: each sandboxed worker runs inside bubblewrap (`bwrap`), and the parent
checks from outside what the candidate left behind.

What it guarantees, where bwrap runs (`layers()` says so, and `require` refuses to go on without it):
- `pid`: a PID namespace of the worker's own. Every process a candidate starts is in it and dies with the
  worker (bwrap's init is PID 1 there; --die-with-parent kills it with the verifier); the candidate sees
  no other process, the verifier's and other candidates' included, and no other `/proc` entry.
- `net`, `ipc`, `uts`: no network interface but a down loopback, so no network of any family; abstract
  UNIX sockets live in the network namespace, so none outside is reachable; no shared SysV IPC.
- `mount`: a new root that holds, read-only, only what a kernel needs (the Python installation and every
  directory on its sys.path, the project's package root, /usr and the loader's files in /etc, CUDA/ROCm
  installations, the GPU's /dev nodes and, on a GPU machine, /sys); read-write only the worker's scratch
  (a private tmpfs, capped in size, which also holds the compile caches: each candidate's its own); a
  private, size-capped tmpfs at /tmp and /dev/shm; a fresh /proc. Not $HOME, /root, /run, /var or the
  parent's /tmp: token files, agent and Docker sockets are not there to open.
- `nproc`: the worker runs as an unprivileged uid (root drops to `SANDBOX_UID` inside) in a user namespace
  of its own, where RLIMIT_NPROC binds (the kernel does not enforce it for root) and counts only its tasks.
- the environment is cleared (--clearenv) and rebuilt from the verifier's allow-list.
After each candidate, `leftovers` lists from outside (never from the child's own account) any process in
the namespace besides bwrap's init and the worker, and any file in the private /tmp or /dev/shm;
`SandboxWorker.unload` adds anything added to, changed in or removed from the scratch outside the
candidate's own directories (removed with it). The verifier rejects the candidate and retires the worker
for any of these.

Not covered: a kernel exploit; files under /usr and /etc that are world-readable; GPU memory left by a
candidate (the GPU context is per worker). Where bwrap is missing or cannot start (no user namespaces), these layers are absent: the
child still confines itself (`filters.verifier.confine`), and `verify.require_isolation` decides whether to run.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from pathlib import Path

# The uid a root verifier's workers drop to inside the sandbox ("nobody"): RLIMIT_NPROC does not bind root.
SANDBOX_UID = 65534
# Tasks (processes and threads) a worker may have: torch, Triton and CUDA start a few dozen threads.
NPROC_LIMIT = 256
# The private /tmp and /dev/shm, each: enough for a compiler's temporaries, not for filling a disk.
TMPFS_BYTES = 256 << 20
# Layers `verify.require_isolation` insists on (those `filters.verifier.confine` adds are reported beside them).
REQUIRED_LAYERS = ("bwrap", "pid", "net", "mount", "nproc", "audit")
# What the loader, compilers and Python read from /etc; the rest of /etc stays out.
_ETC_ENTRIES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "passwd", "group",
                "nsswitch.conf", "localtime", "os-release")


class IsolationUnavailable(RuntimeError):
    """verify.require_isolation is set and a layer is missing: one line naming it."""


def bwrap_binary() -> str | None:
    """The bwrap to use: $KERNELDATA_BWRAP (for machines without a package manager), else the one on PATH."""
    named = os.environ.get("KERNELDATA_BWRAP")
    if named:
        if not (os.path.isfile(named) and os.access(named, os.X_OK)):
            raise IsolationUnavailable(f"KERNELDATA_BWRAP={named!r} is not an executable file")
        return named
    return shutil.which("bwrap")


@functools.lru_cache(maxsize=None)
def _bwrap_works(binary: str) -> bool:
    """bwrap exists on more machines than it runs on (user namespaces switched off): try it once."""
    try:
        return subprocess.run([binary, *_namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc",
                               "--dev", "/dev", "--", "true"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def usable_bwrap() -> str | None:
    binary = bwrap_binary()
    return binary if binary is not None and _bwrap_works(binary) else None


def outer_layers() -> list[str]:
    """The layers bwrap gives on this machine (the child adds landlock-* and audit itself)."""
    if usable_bwrap() is None:
        return []
    return list(outer_layers_names())


def require(layers: list[str]) -> None:
    """Refuse to run without every layer of REQUIRED_LAYERS; the error names the first one missing."""
    missing = [layer for layer in REQUIRED_LAYERS if layer not in layers]
    if missing:
        hint = " (install bubblewrap or set KERNELDATA_BWRAP)" if missing[0] in outer_layers_names() + ("nproc",) \
            else ""
        raise IsolationUnavailable(f"verify.require_isolation: the sandbox layer {missing[0]!r} is not available "
                                   f"on this machine{hint}; active: {', '.join(layers) or 'none'}; set "
                                   "verify.require_isolation=false to run without it")


def outer_layers_names() -> tuple[str, ...]:
    # `nproc` is the child's to report: it holds only once the worker runs as an unprivileged uid.
    return ("bwrap", "pid", "net", "ipc", "uts", "mount")


def _namespace_args() -> list[str]:
    # No --unshare-user: bwrap makes one itself when not run by root; run by root, the worker drops to
    # SANDBOX_UID, which a user namespace mapping only root could not do.
    return ["--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session"]


def _readable_roots() -> list[str]:
    """Directories a worker reads: Python and every sys.path entry, the GPU toolkits, the loader's paths."""
    roots = [sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             str(Path(__file__).resolve().parents[2]), "/usr"]
    roots += [entry for entry in sys.path if entry and os.path.isabs(entry)]
    for name in ("CUDA_HOME", "CUDA_PATH", "ROCM_PATH", "HIP_PATH"):
        if os.environ.get(name):
            roots.append(os.environ[name])
    roots += [str(p) for pattern in ("cuda*", "rocm*") for p in Path("/usr/local").glob(pattern)]
    roots += [str(p) for p in Path("/opt").glob("rocm*")]
    roots += [entry for entry in os.environ.get("LD_LIBRARY_PATH", "").split(":") if os.path.isabs(entry)]
    # The tools Triton runs from the worker, wherever the machine installed them (a GPU image with
    # CC=/opt/gcc/bin/gcc: the launcher stubs are compiled in the worker): the installation around each.
    roots += [_installation(os.environ[name]) for name in _TOOL_VARIABLES if os.path.isabs(os.environ.get(name, ""))]
    return _outermost(roots)


# Variables naming a tool by path (filters.verifier.sandbox passes them to the worker).
_TOOL_VARIABLES = ("CC", "TRITON_PTXAS_PATH", "TRITON_HIP_LLD_PATH")


def _installation(tool: str) -> str:
    """The directory a tool is installed in: the parent of its `bin` directory (/opt/gcc for
    /opt/gcc/bin/gcc, so its libexec and include directories come along), after resolving links."""
    directory = Path(os.path.realpath(tool)).parent
    return str(directory.parent if directory.name == "bin" else directory)


def _outermost(paths: list[str]) -> list[str]:
    """Existing directories (resolved), less those inside another on the list: one bind shows both."""
    real = sorted({os.path.realpath(p) for p in paths if os.path.isdir(p)})
    kept: list[str] = []
    for path in real:
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _ancestors(path: str) -> list[str]:
    parts = Path(path).parts[1:-1]
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1)]


def sandbox_command(argv: list[str], *, binary: str, scratch: Path, scratch_bytes: int,
                    env: dict[str, str]) -> list[str]:
    """`argv` wrapped in bwrap: the namespaces above, the mounts above, `env` only. `scratch` (the working
    directory) is a private tmpfs of `scratch_bytes` at the host scratch's path, so writes there are capped
    in total and never reach the host's disk (the parent reaches it through /proc/<pid>/root). Nothing of
    the host is writable: the compile caches live in the scratch, one per candidate."""
    args = [binary, *_namespace_args(), "--clearenv"]
    for name, value in env.items():
        args += ["--setenv", name, value]
    # Merged-/usr systems have /bin, /lib... as links into /usr: recreate the links, bind the rest.
    for top in ("bin", "sbin", "lib", "lib32", "lib64"):
        path = f"/{top}"
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    created: set[str] = set()
    readable = _readable_roots()
    scratch_real = os.path.realpath(scratch)

    def make_parents(path: str) -> list[str]:
        # bwrap makes missing parents mode 0700, which the unprivileged uid could not pass through.
        out = []
        for parent in _ancestors(path):
            covered = any(parent == r or parent.startswith(r + "/") for r in [*readable, scratch_real])
            if parent not in created and not covered and parent not in ("/tmp", "/dev"):
                out += ["--perms", "0755", "--dir", parent]
                created.add(parent)
        return out

    args += ["--perms", "0755", "--dir", "/etc"]
    for entry in _ETC_ENTRIES:
        if os.path.exists(f"/etc/{entry}"):
            args += ["--ro-bind", f"/etc/{entry}", f"/etc/{entry}"]
    for root in readable:
        args += make_parents(root) + ["--ro-bind", root, root]
    args += ["--proc", "/proc", "--dev", "/dev"]
    gpu_nodes = [node for node in ("/dev/kfd", "/dev/dri", *sorted(str(p) for p in Path("/dev").glob("nvidia*")))
                 if os.path.exists(node)]
    for node in gpu_nodes:
        args += ["--dev-bind", node, node]
    if gpu_nodes:  # the CUDA and ROCm runtimes read the PCI topology and the device's attributes there
        args += ["--ro-bind", "/sys", "/sys"]
    args += ["--size", str(TMPFS_BYTES), "--perms", "1777", "--tmpfs", "/tmp",
             "--size", str(TMPFS_BYTES), "--perms", "1777", "--tmpfs", "/dev/shm"]
    # mode 0777: the worker's uid is not root's; nothing else is in there
    args += make_parents(scratch_real) + ["--size", str(scratch_bytes), "--perms", "0777", "--tmpfs", scratch_real]
    return args + ["--chdir", scratch_real, "--", *argv]


def _status_fields(pid: int) -> dict[str, str]:
    fields = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
    except OSError:
        pass
    return fields


def namespace_init(bwrap_pid: int) -> int | None:
    """The host pid of bwrap's init in the sandbox's PID namespace (bwrap's own child), None if gone."""
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _status_fields(int(entry)).get("PPid") == str(bwrap_pid):
            return int(entry)
    return None


def wait_for_exit(pid: int, *, timeout_s: float) -> bool:
    """Wait until `pid` is gone or a zombie (its namespace is then empty); False if it outlived `timeout_s`."""
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _status_fields(pid).get("State", "Z").startswith(("Z", "X")):
            return True
        time.sleep(0.01)
    return False


def namespace_members(init_pid: int) -> dict[int, str]:
    """Host pid -> command name of every process in `init_pid`'s PID namespace (init included)."""
    try:
        namespace = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return {}
    members = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") == namespace:
                members[int(entry)] = _status_fields(int(entry)).get("Name", "?")
        except OSError:
            continue
    return members


def leftovers(init_pid: int, *, worker_pid: int | None, bound_under_tmp: set[str]) -> list[str]:
    """What a candidate left in the sandbox, seen from outside: processes besides bwrap's init and the worker,
    and files in the private /tmp (other than the mount points of scratch and caches) or /dev/shm."""
    found = []
    for pid, name in sorted(namespace_members(init_pid).items()):
        if pid not in (init_pid, worker_pid):
            found.append(f"a process ({name}) still running after the candidate")
    root = f"/proc/{init_pid}/root"
    for directory, expected in (("/tmp", bound_under_tmp), ("/dev/shm", set())):
        try:
            extra = sorted(set(os.listdir(root + directory)) - expected)
        except OSError:
            continue
        found += [f"a file left in {directory}: {name[:60]}" for name in extra[:4]]
    return found


def tree_bytes(path: Path, limit: int = 1 << 16) -> int:
    """Bytes held by files beneath `path` (at most `limit` files are counted: a flood of files is caught by
    the tmpfs and RLIMIT_FSIZE caps first)."""
    total = 0
    for count, (directory, _, files) in enumerate(os.walk(path)):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                continue
        if count > limit:
            break
    return total


def tree_listing(path: Path, limit: int = 1 << 14) -> dict[str, tuple]:
    """Every entry beneath `path`, relative name -> (kind, size, modification time): what `listing_changes`
    compares. At most `limit` entries (a flood of files is caught by the tmpfs and RLIMIT_FSIZE first)."""
    listing: dict[str, tuple] = {}
    for directory, dirs, files in os.walk(path):
        for name in dirs + files:
            full = os.path.join(directory, name)
            try:
                status = os.lstat(full)
            except OSError:
                continue
            kind = "directory" if name in dirs else "file"
            size = 0 if kind == "directory" else status.st_size
            listing[os.path.relpath(full, path)] = (kind, size, status.st_mtime_ns)
            if len(listing) >= limit:
                return listing
    return listing


def listing_changes(before: dict[str, tuple], after: dict[str, tuple], *, ignore: set[str] = frozenset()) -> list[str]:
    """What differs between two `tree_listing`s, as "a file left: name", "a file changed: name", "a file
    removed: name" (directories only when added or removed); top-level names in `ignore` are skipped."""
    found = []
    for name in sorted(before.keys() | after.keys()):
        if name.split(os.sep)[0] in ignore:
            continue
        old, new = before.get(name), after.get(name)
        kind = (new or old)[0]
        if old is None:
            found.append(f"a {kind} left: {name[:60]}")
        elif new is None:
            found.append(f"a {kind} removed: {name[:60]}")
        elif kind == "file" and new != old:
            found.append(f"a file changed: {name[:60]}")
    return found
