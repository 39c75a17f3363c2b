"""Turning what a sandboxed worker answered into verdict material: the sandbox's faults and the violations
it reported as reasons, the interpreter's limits as `unverified`, the child's error text as one line or as
the detail a teacher gets (both scrubbed when the `Verdict` is made), and small helpers on the tensors that
travel between the processes."""

from __future__ import annotations

import dataclasses

from kerneldata.core.outcomes import Reason, Verdict


SANDBOX_REASONS = {"timeout": Reason.TIMEOUT, "crashed": Reason.CRASHED, "output_flood": Reason.OUTPUT_FLOOD,
                    "protocol": Reason.PROTOCOL_VIOLATION}


def with_measures(verdict: Verdict, **measures) -> Verdict:
    return dataclasses.replace(verdict, **measures)


_VIOLATION_REASONS = {"network_access": Reason.NETWORK_ACCESS, "file_write": Reason.FILE_WRITE,
                      "process_spawn": Reason.PROCESS_SPAWN, "signal_sent": Reason.SIGNAL_SENT}


def sandbox_violation(header: dict) -> Verdict | None:
    """A child's answer that reports something the sandbox refused, as a verdict."""
    if header.get("kind") != "sandbox":
        return None
    reason = _VIOLATION_REASONS.get(header.get("reason"), Reason.CRASHED)
    return Verdict.reject(reason, f"the sandbox refused: {one_line(header)}.")


def interpreter_limit(header: dict) -> Verdict:
    """The candidate reached what the CPU interpreter cannot run (the child says what: `gap`)."""
    gap = str(header.get("gap") or "the Triton interpreter cannot run it")[:300]
    return Verdict.unverified(Reason.INTERPRETER_LIMIT, f"not verifiable on CPU: {gap}.",
                              error_detail=child_error_detail(header))


def nbytes(x) -> int:
    return x.numel() * x.element_size() if hasattr(x, "element_size") else 0


def to_device(x, device: str):
    return x.to(device) if hasattr(x, "to") else x


def listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def child_error_detail(header: dict) -> str | None:
    """The child's whole error message (its last lines, the candidate's frames first), for feedback."""
    message = str(header.get("message", "")).rstrip()
    return message if message.strip() else None


def one_line(header: dict) -> str:
    message = str(header.get("message", "unknown error")).strip().splitlines()
    return (message[-1] if message else "unknown error")[:300]
