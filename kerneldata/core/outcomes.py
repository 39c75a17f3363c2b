"""Closed sets of outcomes. A verdict is data: every candidate ends with one `Status`, the `Check` that
decided it, and one `Reason` code from the closed set below plus a human sentence. Manifests and dataset
cards count by these codes, so adding a code is a schema change and removing one is a breaking change."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum

from kerneldata.core.scrub import DETAIL_CHARS, REASON_CHARS, scrub


class Status(str, Enum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    # The verdict hinges on something this device cannot judge (bf16 or TF32 arithmetic under the CPU
    # interpreter, say). Neither kept as a good kernel nor counted as a bad one.
    UNVERIFIED = "unverified"


class Check(str, Enum):
    """The verifier step that decided a verdict (DESIGN section 3.2, `stage` in `verify --json`)."""

    EXTRACT = "extract"  # no candidate code could be taken from the teacher's answer
    STATIC = "static"
    COMPILE = "compile"
    RUNTIME = "runtime"
    CORRECTNESS = "correctness"
    ANTICHEAT = "anticheat"
    TIMING = "timing"
    SPEEDUP = "speedup"
    SANDBOX = "sandbox"


class Reason(str, Enum):
    # accepted
    OK = "ok"
    # extraction
    NO_CODE = "no_code"
    TRUNCATED = "truncated"  # the answer was cut off (token limit) before its code was complete
    TEACHER_ERROR = "teacher_error"  # unverified: the request to the teacher failed; there is no answer
    # static gate
    SYNTAX_ERROR = "syntax_error"
    NO_MODEL_NEW = "no_model_new"
    NO_TRITON_KERNEL = "no_triton_kernel"
    FORBIDDEN_CONSTRUCT = "forbidden_construct"  # no longer given (split by rule below); kept for old rows
    # static gate, one reason per rule (issue 15, static gate)
    TORCH_OUTSIDE_KERNEL = "torch_outside_kernel"  # PyTorch or host Python computing what kernels should
    DYNAMIC_CODE = "dynamic_code"  # exec, eval, compile, native code (ctypes), importlib
    REFLECTION = "reflection"  # getattr/vars/type, dunder and private attributes, frames, load information
    REFERENCE_ACCESS = "reference_access"  # the reference's Model, get_inputs or module
    CROSS_CALL_STATE = "cross_call_state"  # caches, globals, generators: state that outlives a call
    CONCURRENCY = "concurrency"  # threads, processes, CUDA streams, events, graphs
    IO_ACCESS = "io_access"  # files, network, environment, the terminal
    MONKEYPATCH = "monkeypatch"  # changing a module, a kernel or the candidate's own functions
    FALLBACK = "fallback"  # try/except: the shape of a fallback to PyTorch
    OUTSIDE_VOCABULARY = "outside_vocabulary"  # an import, name or attribute path not on the allow-list
    DEVICE_DEPENDENT = "device_dependent"  # unverified on CPU: behaviour branches on the device
    # unverified anywhere: behaviour depends on environment variables, which no sandbox can stand for
    ENVIRONMENT_DEPENDENT = "environment_dependent"
    # compile / load
    IMPORT_ERROR = "import_error"
    COMPILE_ERROR = "compile_error"
    # runtime
    RUNTIME_ERROR = "runtime_error"
    NO_KERNEL_LAUNCHED = "no_kernel_launched"
    BAD_OUTPUT = "bad_output"  # wrong type, shape, dtype or device
    OUTPUT_ALIASES_INPUT = "output_aliases_input"
    INPUT_MUTATED = "input_mutated"
    TORCH_COMPUTE = "torch_compute"  # PyTorch operations computed inside forward
    OUTPUT_NOT_FROM_KERNEL = "output_not_from_kernel"  # no launched kernel wrote the output, or torch wrote it
    # correctness
    MISMATCH = "mismatch"
    NON_FINITE = "non_finite"
    NONDETERMINISTIC = "nondeterministic"
    # anti-cheat: work done where the checks and timers do not look
    BACKGROUND_WORK = "background_work"
    LOWERED_PRECISION = "lowered_precision"  # inputs cast to a narrower float type than the spec's
    PROCESS_TAMPERING = "process_tampering"  # changed the worker process a later candidate would run in
    # timing and speed (GPU only)
    TIMING_MISMATCH = "timing_mismatch"
    TOO_SLOW = "too_slow"
    IMPLAUSIBLE_SPEEDUP = "implausible_speedup"  # quarantined: faster than physics or the plausibility bound
    # issue 15 section 5 (run-time stealth): an output shares memory with an earlier call's output that is
    # still alive, or with a tensor the model holds (a buffer returned every call)
    OUTPUT_REUSED = "output_reused"
    # this device cannot judge the kernel
    INTERPRETER_LIMIT = "interpreter_limit"
    # containment
    TIMEOUT = "timeout"
    CRASHED = "crashed"
    OUTPUT_FLOOD = "output_flood"
    NETWORK_ACCESS = "network_access"
    FILE_WRITE = "file_write"  # outside its scratch directory
    PROCESS_SPAWN = "process_spawn"
    SIGNAL_SENT = "signal_sent"  # to another process (its parent, the verifier)
    PROTOCOL_VIOLATION = "protocol_violation"  # the child's answer was not a well-formed message (filters.verifier.protocol)
    # unverified: the verifier's own worker died, raised or hung on this candidate every time it was tried
    VERIFIER_FAULT = "verifier_fault"
    BAD_REFERENCE = "bad_reference"  # unverified: the problem itself fails to load or run (verify-batch's line)
    # inputs and parameters (issue 15, section 6): a reference tensor re-drawn per seed (a norm's weight,
    # bias or running statistic) that the candidate holds no tensor for, so it cannot show it uses it
    PARAMETER_UNMATCHED = "parameter_unmatched"
    # a tensor the model holds (other than the reference's re-drawn state) that forward wrote on more than one
    # call: a counter or cache in kernel-written memory
    KERNEL_STATE = "kernel_state"
    # issue 16, several shapes per spec: right on the workload the teacher was shown, wrong or failing on one it
    # never saw (a grid, block or reshape fixed to the shown sizes)
    SHAPE_SPECIALISED = "shape_specialised"

    @property
    def check(self) -> Check:
        """The check a reason belongs to, so a verdict cannot pair a reason with the wrong stage."""
        return _REASON_CHECK[self]


_REASON_CHECK: dict[Reason, Check] = {
    Reason.OK: Check.CORRECTNESS,
    Reason.NO_CODE: Check.EXTRACT,
    Reason.TRUNCATED: Check.EXTRACT,
    Reason.TEACHER_ERROR: Check.EXTRACT,
    Reason.SYNTAX_ERROR: Check.STATIC,
    Reason.NO_MODEL_NEW: Check.STATIC,
    Reason.NO_TRITON_KERNEL: Check.STATIC,
    Reason.FORBIDDEN_CONSTRUCT: Check.STATIC,
    # static gate rules (issue 15)
    Reason.TORCH_OUTSIDE_KERNEL: Check.STATIC,
    Reason.DYNAMIC_CODE: Check.STATIC,
    Reason.REFLECTION: Check.STATIC,
    Reason.REFERENCE_ACCESS: Check.STATIC,
    Reason.CROSS_CALL_STATE: Check.STATIC,
    Reason.CONCURRENCY: Check.STATIC,
    Reason.IO_ACCESS: Check.STATIC,
    Reason.MONKEYPATCH: Check.STATIC,
    Reason.FALLBACK: Check.STATIC,
    Reason.OUTSIDE_VOCABULARY: Check.STATIC,
    Reason.DEVICE_DEPENDENT: Check.STATIC,
    Reason.ENVIRONMENT_DEPENDENT: Check.STATIC,
    Reason.IMPORT_ERROR: Check.COMPILE,
    Reason.COMPILE_ERROR: Check.COMPILE,
    Reason.RUNTIME_ERROR: Check.RUNTIME,
    Reason.NO_KERNEL_LAUNCHED: Check.RUNTIME,
    Reason.BAD_OUTPUT: Check.RUNTIME,
    Reason.OUTPUT_ALIASES_INPUT: Check.RUNTIME,
    Reason.INPUT_MUTATED: Check.RUNTIME,
    Reason.TORCH_COMPUTE: Check.RUNTIME,
    Reason.OUTPUT_NOT_FROM_KERNEL: Check.RUNTIME,
    Reason.MISMATCH: Check.CORRECTNESS,
    Reason.NON_FINITE: Check.CORRECTNESS,
    Reason.NONDETERMINISTIC: Check.CORRECTNESS,
    Reason.BACKGROUND_WORK: Check.ANTICHEAT,
    Reason.LOWERED_PRECISION: Check.ANTICHEAT,
    Reason.PROCESS_TAMPERING: Check.ANTICHEAT,
    Reason.TIMING_MISMATCH: Check.TIMING,
    Reason.TOO_SLOW: Check.SPEEDUP,
    Reason.IMPLAUSIBLE_SPEEDUP: Check.SPEEDUP,
    Reason.OUTPUT_REUSED: Check.RUNTIME,  # issue 15 section 5
    Reason.INTERPRETER_LIMIT: Check.STATIC,
    Reason.TIMEOUT: Check.SANDBOX,
    Reason.CRASHED: Check.SANDBOX,
    Reason.OUTPUT_FLOOD: Check.SANDBOX,
    Reason.NETWORK_ACCESS: Check.SANDBOX,
    Reason.FILE_WRITE: Check.SANDBOX,
    Reason.PROCESS_SPAWN: Check.SANDBOX,
    Reason.SIGNAL_SENT: Check.SANDBOX,
    Reason.PROTOCOL_VIOLATION: Check.SANDBOX,
    Reason.VERIFIER_FAULT: Check.SANDBOX,
    Reason.BAD_REFERENCE: Check.CORRECTNESS,
    # inputs and parameters (issue 15, section 6)
    Reason.PARAMETER_UNMATCHED: Check.ANTICHEAT,
    Reason.KERNEL_STATE: Check.ANTICHEAT,
    Reason.SHAPE_SPECIALISED: Check.CORRECTNESS,
}
assert set(_REASON_CHECK) == set(Reason), "every Reason needs a Check"

# The reasons the static gate rejects with, one per rule (`forbidden_construct` is no longer given).
STATIC_REFUSALS = frozenset({
    Reason.TORCH_OUTSIDE_KERNEL, Reason.DYNAMIC_CODE, Reason.REFLECTION, Reason.REFERENCE_ACCESS,
    Reason.CROSS_CALL_STATE, Reason.CONCURRENCY, Reason.IO_ACCESS, Reason.MONKEYPATCH, Reason.FALLBACK,
    Reason.OUTSIDE_VOCABULARY,
})



@dataclass(frozen=True, kw_only=True)
class Verdict:
    """One verifier decision about one candidate. Built through `accept`, `reject` or `unverified` so that
    the status, check and reason always agree. Measures that were not taken stay None (never 0)."""

    status: Status
    check: Check
    reason_code: Reason
    reason: str
    # The candidate's error where it raised one (its last traceback lines); None otherwise.
    error_detail: str | None = None
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    speedup_vs_eager: float | None = None
    speedup_vs_compile: float | None = None
    runtime_ms: float | None = None
    # Issue 16: per workload (the shown one first) speedups over eager and their geometric mean; None for a
    # single workload or where speed was not measured.
    workload_speedups: tuple[float, ...] | None = None
    speedup_geomean: float | None = None
    device: str = ""
    hardware: str = ""
    verify_seconds: float | None = None

    def __post_init__(self) -> None:
        assert (self.status is Status.ACCEPTED) == (self.reason_code is Reason.OK), (self.status, self.reason_code)
        assert self.reason and "\n" not in self.reason, "a reason is one human sentence"
        # Every verdict leaves the verifier through here: text quoted from the candidate's process (its
        # exception, what it printed) loses secrets, token-shaped strings and local paths, and is bounded,
        # before it can reach a row, a refinement prompt, a log or the Hub (DESIGN section 4.7).
        object.__setattr__(self, "reason", scrub(self.reason, limit=REASON_CHARS))
        object.__setattr__(self, "error_detail", scrub(self.error_detail, limit=DETAIL_CHARS))

    @classmethod
    def reject(cls, reason_code: Reason, reason: str, **measures) -> Verdict:
        return cls(status=Status.REJECTED, check=reason_code.check, reason_code=reason_code, reason=reason,
                   **measures)

    @classmethod
    def unverified(cls, reason_code: Reason, reason: str, **measures) -> Verdict:
        return cls(status=Status.UNVERIFIED, check=reason_code.check, reason_code=reason_code, reason=reason,
                   **measures)

    @classmethod
    def accept(cls, reason: str, *, check: Check = Check.CORRECTNESS, **measures) -> Verdict:
        return cls(status=Status.ACCEPTED, check=check, reason_code=Reason.OK, reason=reason, **measures)

    def to_row(self) -> dict:
        """The verdict columns of a raw row (`schema.VERDICT_FIELDS`)."""
        from kerneldata import __version__

        row = self.to_json()
        row["kerneldata_version"] = __version__
        return row

    def to_json(self) -> dict:
        """The `kerneldata verify --json` object (DESIGN section 3.2): `stage` is the deciding check."""
        out = {"status": self.status.value, "stage": self.check.value, "reason_code": self.reason_code.value}
        out.update({f.name: getattr(self, f.name) for f in fields(self)
                    if f.name not in ("status", "check", "reason_code")})
        if self.workload_speedups is not None:
            out["workload_speedups"] = list(self.workload_speedups)
        return out
