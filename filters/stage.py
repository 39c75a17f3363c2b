"""The verification stage: candidate rows in, the same rows with their verdict columns out. Every row
comes out (a rejection is data). A row without code is decided at `extract` from its `teacher_meta`: a
request that failed (`error`) is unverified as `teacher_error` (there is no answer to judge, so it counts
neither as a good kernel nor as a bad one); an answer cut off by the token limit (`extract: truncated`) is
rejected as `truncated`; any other is rejected as `no_code`.

`verifier_fault` is the row of a candidate that the verifier's own worker never finished judging (it died,
raised or hung every time it was tried; the pipeline decides when to give up): unverified, not a bad
kernel."""

from __future__ import annotations

import json

import pyarrow as pa

from kerneldata.core.config import VerifyConfig
from kerneldata.core.outcomes import Reason, Verdict
from kerneldata.core.schema import CANDIDATE_SCHEMA, RAW_SCHEMA, VERDICT_FIELDS, table_from_rows
from kerneldata.core.stage import Stage
from filters.verifier import isolation
from filters.verifier.judge import judge_row, options_from_config
from filters.verifier.runtime import Runtime


class VerifyStage(Stage):
    name = "verify"
    reads = ("code", "teacher_meta", "reference_code", "dtype", "atol", "rtol", "family", "shapes", "workloads")
    adds = tuple(field.name for field in VERDICT_FIELDS)
    output_schema = RAW_SCHEMA
    # Each candidate runs in a child process that keeps one core busy.
    num_cpus = 1.0

    def __init__(self, *, config: VerifyConfig, draw_key: str | None = None) -> None:
        # draw_key: the run's key for the verifier's draws (kerneldata.pipeline: from run.seed), so the
        # same seed judges each candidate the same way; None: secret draws.
        self.options = options_from_config(config, draw_key=draw_key)
        if self.options.require_isolation:  # fail here, before any candidate, naming the missing layer
            isolation.require(isolation.outer_layers() + ["nproc", "audit"])
        # One zygote and cache per worker, made once (Ray runs __init__ once per actor).
        self.runtime = Runtime(self.options.device)

    def __call__(self, batch: pa.Table) -> pa.Table:
        self.check_input(batch)
        rows = batch.select(CANDIDATE_SCHEMA.names).to_pylist()
        for row in rows:
            row.update(self.judge(row).to_row())
        return table_from_rows(rows, RAW_SCHEMA)

    def judge(self, row: dict) -> Verdict:
        if row["code"] is None:
            return code_missing(row["teacher_meta"], device=self.options.device)
        return judge_row(row, options=self.options, runtime=self.runtime)

    def __del__(self) -> None:
        runtime = getattr(self, "runtime", None)
        if runtime is not None:
            runtime.close()


def code_missing(teacher_meta: str | None, *, device: str) -> Verdict:
    """The verdict of a row without code, from what its teacher recorded (see the module docstring)."""
    meta = json.loads(teacher_meta) if teacher_meta else {}
    if meta.get("error"):
        return Verdict.unverified(Reason.TEACHER_ERROR, f"the request to the teacher failed ({meta['error']}), "
                                  "so there is no answer to judge.", device=device, hardware="")
    if meta.get("extract") == "truncated":
        return Verdict.reject(Reason.TRUNCATED, "the teacher's answer was cut off by the token limit before "
                              "its code was complete.", device=device, hardware="")
    return Verdict.reject(Reason.NO_CODE, "the teacher's answer holds no candidate code.", device=device,
                          hardware="")


# What happened to the verifier's worker, as the reason sentence of a verifier_fault verdict says it.
_FAULTS = {"died": "died", "hung": "stopped answering", "error": "raised an error"}


def verifier_fault(row: dict, *, fault: str, attempts: int, device: str) -> dict:
    """`row` (a candidate row) with the verdict of a candidate the verifier never finished judging: the
    worker `fault` (died / hung / error) on its last of `attempts` tries."""
    what = _FAULTS[fault]
    verdict = Verdict.unverified(Reason.VERIFIER_FAULT, f"the verifier's worker was lost on each of {attempts} tries "
                                 f"(the last one {what}), so there is no verdict.", device=device, hardware="")
    candidate = {name: row[name] for name in CANDIDATE_SCHEMA.names}
    return {**candidate, **verdict.to_row()}
