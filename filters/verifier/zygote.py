"""A zygote: one process that imports torch and triton once and forks a fresh child per candidate.

Starting Python, torch and triton costs about two seconds; forking a process that already holds them
costs milliseconds, and the child is as fresh as a new process for the candidate: it shares no Python
state with any other candidate, and the zygote never initialises a GPU (forking after CUDA initialisation
is unsafe), so each child makes its own context. The zygote itself never runs candidate code.

Used only where bubblewrap is not (`filters.verifier.isolation`): children of one zygote share its PID namespace and
/tmp, so under bubblewrap every worker is a fresh interpreter in a sandbox of its own instead.

Protocol (Unix socket, one JSON message per request, file descriptors passed with SCM_RIGHTS):
`spawn` (fds: the child's request pipe, its answer pipe, its log file, its violation pipe) -> {"pid": ...}; `wait` ->
{"status": exit code, negative signal number, or null if still running}; `exit`.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sys
import time

_MAX_MESSAGE = 1 << 16


def _reap(statuses: dict[int, int]) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        statuses[pid] = os.waitstatus_to_exitcode(status)


def _child(request: dict, fds: list[int], sock: socket.socket) -> None:
    """In the forked child: become a sandboxed candidate process, then serve the verifier. Never returns."""
    code = 1
    try:
        sock.close()
        os.setsid()  # its own session and process group: killing the group kills what it spawns
        fd_in, fd_out, log_fd, fd_violations = fds
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.chdir(request["scratch"])
        os.environ.update(request["env"])
        for name, limit in request["limits"].items():
            resource.setrlimit(getattr(resource, name), (limit, limit))
        from filters.verifier.sandbox_child import serve

        code = serve(fd_in, fd_out, fd_violations)
    except BaseException:  # noqa: BLE001 - the child must never fall back into the zygote's loop
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def main() -> int:
    sock = socket.socket(fileno=int(sys.argv[1]))
    from filters.verifier.sandbox_child import prepare_process

    prepare_process()
    statuses: dict[int, int] = {}
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 4)
        except (ConnectionResetError, OSError):
            return 0
        if not data:
            return 0
        request = json.loads(data)
        _reap(statuses)
        if request["op"] == "spawn":
            pid = os.fork()
            if pid == 0:
                _child(request, fds, sock)
            for fd in fds:
                os.close(fd)
            reply = {"pid": pid}
        elif request["op"] == "wait":
            deadline = time.monotonic() + min(float(request.get("timeout_s", 0)), 5.0)
            while request["pid"] not in statuses and time.monotonic() < deadline:
                time.sleep(0.01)
                _reap(statuses)
            reply = {"status": statuses.pop(request["pid"], None)}
        elif request["op"] == "exit":
            return 0
        else:
            reply = {"error": f"unknown op {request['op']!r}"}
        sock.sendall(json.dumps(reply).encode() + b"\n")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the verifier, which shuts us down
    sys.exit(main())
