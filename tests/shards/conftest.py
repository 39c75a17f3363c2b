"""Tiny inline raw tables for the shards tests: every row built from one template, with the fields a test
cares about overridden beside it. Tests reach them through the fixtures at the end (a conftest is not
imported by name: other test folders have their own)."""

from __future__ import annotations

import re

import pytest

from kerneldata.core.schema import RAW_SCHEMA, table_from_rows

SYSTEM = {"role": "system", "content": "You write Triton kernels."}
USER = {"role": "user", "content": "Write ModelNew for this problem."}


def raw_row(spec_id: str, candidate_id: str, status: str, reason_code: str | None = None, *,
            speedup: float | None = None, **overrides) -> dict:
    """One RAW_SCHEMA row. `reason_code` defaults to ok / mismatch / interpreter_limit by status."""
    default_reason = {"accepted": "ok", "rejected": "mismatch", "unverified": "interpreter_limit"}
    reason_code = reason_code or default_reason[status]
    row = {
        "spec_id": spec_id,
        "family": spec_id.split("-")[0],
        "ops": ["relu"],
        "dtype": "float32",
        "shapes": [[4, 127]],
        "reference_code": f"# reference for {spec_id}",
        "spec_origin": "sampler:v1 seed=0",
        "atol": 1e-4,
        "rtol": 1e-4,
        "input_domains": ["normal"],
        "candidate_id": candidate_id,
        "teacher": "builtin",
        "teacher_model": "builtin-v1",
        "prompt_version": "v1",
        "prompt": [SYSTEM, USER],
        "completion": f"Here is the kernel.\n```python\n# code of {candidate_id}\n```",
        "code": f"# code of {candidate_id}",
        "sample_index": 0,
        "turn": 0,
        "seed": 0,
        "teacher_meta": "{}",
        "status": status,
        "stage": "correctness" if status == "accepted" else "static",
        "reason_code": reason_code,
        "reason": f"{reason_code} for {candidate_id}.",
        "max_abs_err": None,
        "max_rel_err": None,
        "speedup_vs_eager": speedup,
        "speedup_vs_compile": None,
        "runtime_ms": None,
        "device": "cuda" if speedup is not None else "cpu",
        "hardware": "NVIDIA H200" if speedup is not None else "cpu (triton interpreter)",
        "verify_seconds": 0.5,
        "kerneldata_version": "0.1.0",
    }
    row.update(overrides)
    return row


# Three specs; the expected split contents are written beside each row.
MIXED_ROWS = [
    # elementwise-aaaa: measured speedups. sft: a1, a2, a3. rl: best a1 (fastest), pass rate 3 / (3 + 4),
    # 8 candidates. preference, best a1 vs. worse grouped by reason, taken round-robin in name order
    # (compile_error, mismatch, slower, timeout), capped at 4: a5, a4, a2, a8; a6 (second mismatch) is cut.
    raw_row("elementwise-aaaa", "a1", "accepted", speedup=2.0),
    raw_row("elementwise-aaaa", "a2", "accepted", speedup=1.5),  # 2.0 > 1.5 * 1.1: a "slower" pair
    raw_row("elementwise-aaaa", "a3", "accepted", speedup=1.9),  # within 10% of a1: no pair
    raw_row("elementwise-aaaa", "a4", "rejected", "mismatch"),
    raw_row("elementwise-aaaa", "a5", "rejected", "compile_error"),
    raw_row("elementwise-aaaa", "a6", "rejected", "mismatch"),
    raw_row("elementwise-aaaa", "a7", "unverified"),  # never in sft / rl / preference, not in the pass rate
    raw_row("elementwise-aaaa", "a8", "rejected", "timeout"),
    # reduction-bbbb: CPU run, no speedups. sft: b1 (a first answer), b2 (only as the conversation from b3:
    # it answers feedback). rl: best b1 (first by id), pass rate 1 / 2 (turn 0 only: b1, b3), 4 candidates,
    # speedup null. preference: (b1, b3, no_code), two first answers; b2 answered feedback b3 did not see,
    # so it pairs with neither.
    raw_row("reduction-bbbb", "b1", "accepted"),
    # A refinement turn answering the feedback on b3: its prompt holds b3's attempt and the feedback.
    raw_row("reduction-bbbb", "b2", "accepted", turn=1, parent_id="b3", prompt=[
        SYSTEM, USER, {"role": "assistant", "content": "first try"},
        {"role": "user", "content": "It failed: no code."}]),
    raw_row("reduction-bbbb", "b3", "rejected", "no_code", code=None, completion="first try"),
    raw_row("reduction-bbbb", "b4", "unverified"),
    # matmul-cccc: nothing accepted: in raw only.
    raw_row("matmul-cccc", "c1", "rejected", "mismatch"),
    raw_row("matmul-cccc", "c2", "unverified"),
]
EXPECTED_ROWS = {"raw": 14, "sft": 5, "rl": 2, "preference": 5}


@pytest.fixture
def make_row():
    return raw_row


@pytest.fixture
def mixed_rows() -> list[dict]:
    return [dict(row) for row in MIXED_ROWS]


@pytest.fixture
def mixed_raw():
    return table_from_rows(MIXED_ROWS, RAW_SCHEMA)


@pytest.fixture
def expected_rows() -> dict[str, int]:
    return dict(EXPECTED_ROWS)


_SHARD_DIGEST = re.compile(r"-[0-9a-f]{16}(\.parquet)$")


def unhashed(names) -> list[str]:
    """File names (or paths) with the content digest of shard names left out
    (`train-00000-of-00001-<16 hex>.parquet` -> `train-00000-of-00001.parquet`), for tests that check a layout."""
    return [_SHARD_DIGEST.sub(r"\1", name) for name in names]
