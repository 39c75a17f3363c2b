"""The quickstart's raw rows without its verifier: the quickstart config's specs, the built-in teacher and
refinement loop as configured, and a stand-in verdict from what the teacher says of its own code (a
deliberately flawed variant (`teacher_meta.flaw`) is rejected as `mismatch`, a declined spec is `no_code`,
every other kernel accepted, untimed as on CPU). It takes seconds where the real run takes minutes; the
row semantics of the splits depend on the teacher and the loop, not on which check rejects a flaw."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from generators.refine import RefineLoop
from generators.specs import SpecSampler
from generators.teachers.builtin import BuiltinTeacher
from kerneldata.core.config import load_config
from kerneldata.core.outcomes import Reason, Verdict
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows

QUICKSTART = Path(__file__).resolve().parents[2] / "configs" / "quickstart.yaml"


def _verdict(row: dict) -> dict:
    meta = json.loads(row["teacher_meta"])
    if row["code"] is None:
        verdict = Verdict.reject(Reason.NO_CODE, "No code block in the answer.")
    elif meta.get("flaw"):
        verdict = Verdict.reject(Reason.MISMATCH, "The output differs from the reference beyond the tolerances.",
                                 max_abs_err=1.0, max_rel_err=0.5)
    else:
        verdict = Verdict.accept("Passed every check.", max_abs_err=1e-6, max_rel_err=1e-7)
    return {**row, **verdict.to_row(), "device": "cpu", "hardware": "cpu (triton interpreter)",
            "dedup_cluster": None, "dedup_reason": None, "contamination_reason": None,
            "contamination_benchmark": None, "contamination_item": None}


@functools.cache
def quickstart_raw():
    config = load_config(QUICKSTART)
    specs = [spec.to_row() for spec in SpecSampler(config.specs, config.run.seed).sample(config.specs.num_specs)]
    loop = RefineLoop(BuiltinTeacher(config.teacher, config.run.seed),
                      lambda rows: [_verdict(row) for row in rows], config.refine)
    rows = []
    batch = config.refine.specs_per_batch
    for start in range(0, len(specs), batch):
        rows += loop.run(specs[start:start + batch]).rows
    return table_from_rows(rows, RAW_SCHEMA)
