"""The sandboxed child's answers, as typed messages the parent validates before it reads a single field.

The child runs candidate code; anything in its process, the answer pipe included, may be in the candidate's
reach once a rule of the static gate is bypassed. So an answer is evidence to check, not a report to trust:
each kind of answer (`start`, `load`, `params`, `run`, `time`, `unload`) has a closed set of fields with strict types
and bounds (pydantic, `extra="forbid"`), and the blobs count it promises. An answer that does not fit (a
field of the wrong type, a field no answer has, a negative launch count, a non-finite timing, a missing blob)
raises `ProtocolViolation`: the candidate is rejected for it and its worker retired, and the verifier goes on.

What this does not do: prove a well-formed answer true. The parent still judges outputs against a reference
the child never saw, inputs it kept, timings against its own clock and the roofline (`filters.verifier.verify`).
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_MESSAGE_CHARS = 20_000  # a traceback's last lines; the verdict quotes less, scrubbed (kerneldata.core.scrub)
MAX_LIST_ITEMS = 256


class ProtocolViolation(Exception):
    """The child's answer is not a message of the protocol (one line saying what was wrong)."""


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _seconds_field():
    """Where a request's time went in the child, by phase."""
    return Field(default_factory=dict, max_length=16)


def _check_seconds(value: dict) -> dict:
    for name, seconds in value.items():
        if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not math.isfinite(seconds) \
                or seconds < 0:
            raise ValueError(f"seconds[{name!r}] is not a finite non-negative number")
    return value


class Failure(_Message):
    """Any request: the candidate raised, the sandbox refused something, or a request was out of order."""

    ok: Literal[False]
    kind: Literal["import_error", "compile_error", "runtime_error", "bad_output", "background_work", "sandbox",
                  "protocol", "interpreter_limit"]
    message: str = Field(max_length=MAX_MESSAGE_CHARS)
    reason: Literal["network_access", "file_write", "process_spawn", "signal_sent"] | None = None
    gap: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)  # interpreter_limit: what it cannot run
    # A `time` request's warm-up: the baseline that failed (None: the candidate). A candidate forging
    # "compile" only loses its speedup over torch.compile; "eager" is judged as the candidate's failure.
    baseline: Literal["eager", "compile"] | None = None


class Started(_Message):
    ok: Literal[True]
    confinement: list[str] = Field(max_length=MAX_LIST_ITEMS)
    seconds: dict[str, float] = _seconds_field()
    _seconds = field_validator("seconds")(_check_seconds)


class Loaded(_Message):
    ok: Literal[True]
    # a second instance was built, and building one drew random numbers (a forged True costs the candidate one
    # more checked call; a forged False spares it one its construction could not have told apart anyway)
    twin: bool = False
    seconds: dict[str, float] = _seconds_field()
    _seconds = field_validator("seconds")(_check_seconds)


class Ran(_Message):
    ok: Literal[True]
    launches: int = Field(ge=0)
    devices: list[str] = Field(max_length=MAX_LIST_ITEMS)
    aliases_input: bool
    inputs_changed: bool
    output_bytes: int = Field(ge=0)
    torch_compute: list[str] = Field(max_length=MAX_LIST_ITEMS)
    narrowing: list[str] = Field(max_length=MAX_LIST_ITEMS)
    unproven_output: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    reused_output: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)
    state_written: list[str] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)
    copy_born: bool = False
    copy_unchanged: bool = False
    cast_born: bool = False
    cast_of_input: bool = False
    # A forged count buys at most the atomic allowance (filters.verifier.truth.ATOMIC_ACCUMULATION_UNITS).
    atomic_adds_per_element: int = Field(default=0, ge=0)
    autotune_configs: int = Field(default=0, ge=0, le=1 << 20)  # the most configs an autotuner offered
    # A kernel launched with bf16 tensors under the interpreter (autocast to bf16 cast them): a forged True
    # turns a rejection on CPU into `unverified`, never into an acceptance.
    bf16_launched: bool = False
    off_stream_launches: int = Field(default=0, ge=0)  # kernels launched off the caller's stream (GPU)
    seconds: dict[str, float] = _seconds_field()
    _seconds = field_validator("seconds")(_check_seconds)

    @field_validator("narrowing")
    @classmethod
    def _casts(cls, value: list[str]) -> list[str]:
        if any(cast.count("->") != 1 for cast in value):
            raise ValueError("a narrowing entry is not 'from->to'")
        return value


class _Summary(_Message):
    median_ms: float = Field(ge=0, allow_inf_nan=False)
    iqr_ms: float = Field(ge=0, allow_inf_nan=False)
    min_ms: float = Field(ge=0, allow_inf_nan=False)
    n: int = Field(ge=1)
    # Over several placements of the inputs (filters.verifier.timing.over_placements): each one's median.
    placements_ms: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(default_factory=list,
                                                                                     max_length=16)


class _Timing(_Message):
    """`host`: the host clock over the whole call; `after`: its part after the call returned (the closing
    synchronise), which device work outside the timed stream lengthens (filters.verifier.timing)."""

    event: _Summary
    host: _Summary
    after: _Summary


class Timed(_Message):
    ok: Literal[True]
    timings: dict[Literal["candidate", "overhead", "eager", "compile"], _Timing] | None = None


class Parametrised(_Message):
    """`params`: which of the reference's re-drawn tensors the candidate holds none for
    (filters.verifier.parameters)."""

    ok: Literal[True]
    unmatched: list[str] = Field(max_length=MAX_LIST_ITEMS)


class Unloaded(_Message):
    ok: Literal[True]
    changes: list[str] = Field(max_length=MAX_LIST_ITEMS)
    unhealthy: str | None = Field(default=None, max_length=MAX_MESSAGE_CHARS)


# Per request: the answer when it succeeded, and how many blobs come with it.
_ANSWERS: dict[str, tuple[type[_Message], int]] = {
    "start": (Started, 0), "load": (Loaded, 0), "params": (Parametrised, 0), "run": (Ran, 2), "time": (Timed, 0),
    "unload": (Unloaded, 0),
}


def validated(op: str, header, blobs: list[bytes]) -> dict:
    """`header` as a plain dict once it is a well-formed answer to request `op` (with the blobs it promises);
    raises ProtocolViolation otherwise."""
    if not isinstance(header, dict) or not isinstance(header.get("ok"), bool):
        raise ProtocolViolation(f"the answer to {op!r} is not a message with a boolean 'ok'")
    model, num_blobs = (_ANSWERS[op] if header["ok"] else (Failure, None))
    framing = {"blob_sizes"}  # filters.verifier.ipc's, checked there when the message was read
    try:
        message = model.model_validate({key: value for key, value in header.items() if key not in framing})
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the message"
        raise ProtocolViolation(f"the answer to {op!r} is malformed at {where}: {first['msg']}") from None
    if num_blobs is not None and len(blobs) != num_blobs:
        raise ProtocolViolation(f"the answer to {op!r} carries {len(blobs)} blobs, not {num_blobs}")
    return message.model_dump(exclude_none=False)
