"""Every column kerneldata writes, defined once, with explicit pyarrow types.

Stages add columns and never rename them; the writer in `shards/` casts every table to one of the schemas
below before it touches disk, so a batch that lacks a field fails loudly instead of inferring a new type.
DATASET_CARD.md documents each column; `tests/core/test_schema.py` checks that the two agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow as pa

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])
MESSAGES = pa.list_(MESSAGE)
SHAPES = pa.list_(pa.list_(pa.int64()))
# Issue 16, several shapes per spec: a workload after the shown one (kerneldata.core.spec.Workload).
WORKLOADS = pa.list_(pa.struct([("label", pa.string()), ("shapes", SHAPES), ("reference_code", pa.string())]))

# The spec: what the teacher is asked to write a kernel for (one row per spec).
SPEC_FIELDS = [
    pa.field("spec_id", pa.string(), nullable=False),
    pa.field("family", pa.string(), nullable=False),
    pa.field("ops", pa.list_(pa.string()), nullable=False),
    pa.field("dtype", pa.string(), nullable=False),
    pa.field("shapes", SHAPES, nullable=False),
    pa.field("reference_code", pa.string(), nullable=False),
    pa.field("spec_origin", pa.string(), nullable=False),
    pa.field("atol", pa.float64(), nullable=False),
    pa.field("rtol", pa.float64(), nullable=False),
    # One kerneldata.core.domains name per input, e.g. ["positive"] for a log or ["normal", "index[0,1000)"].
    pa.field("input_domains", pa.list_(pa.string()), nullable=False),
    # The workloads after the shown one (`shapes`, `reference_code`): the same problem at other sizes, which the
    # teacher never saw and the verifier checks too. Empty (or null, in rows older than the column): one workload.
    pa.field("workloads", WORKLOADS),
]
SPEC_SCHEMA = pa.schema(SPEC_FIELDS)

# What the teacher adds: one row per candidate.
CANDIDATE_FIELDS = SPEC_FIELDS + [
    pa.field("candidate_id", pa.string(), nullable=False),
    pa.field("teacher", pa.string(), nullable=False),
    pa.field("teacher_model", pa.string(), nullable=False),
    pa.field("prompt_version", pa.string(), nullable=False),
    pa.field("prompt", MESSAGES, nullable=False),
    pa.field("completion", pa.string(), nullable=False),
    # The teacher's reasoning (a `<think>` block or the API's reasoning field), kept apart from `completion`.
    pa.field("reasoning", pa.string()),
    pa.field("code", pa.string()),  # null when nothing could be extracted from the completion
    pa.field("sample_index", pa.int32(), nullable=False),
    pa.field("turn", pa.int32(), nullable=False),
    # The candidate this one refines (its feedback is the last user message of `prompt`); null on turn 0.
    pa.field("parent_id", pa.string()),
    pa.field("seed", pa.int64(), nullable=False),
    pa.field("teacher_meta", pa.string(), nullable=False),  # JSON: template parameters, token usage...
]
CANDIDATE_SCHEMA = pa.schema(CANDIDATE_FIELDS)

# What the verifier adds. Every candidate ends in raw with these filled.
VERDICT_FIELDS = [
    pa.field("status", pa.string(), nullable=False),
    pa.field("stage", pa.string(), nullable=False),
    pa.field("reason_code", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("error_detail", pa.string()),  # the error's last lines (traceback) where the candidate raised one
    pa.field("max_abs_err", pa.float64()),
    pa.field("max_rel_err", pa.float64()),
    pa.field("speedup_vs_eager", pa.float64()),
    pa.field("speedup_vs_compile", pa.float64()),
    pa.field("runtime_ms", pa.float64()),
    # Issue 16: with several workloads, the speedup over eager on each (the shown one first, then `workloads` in
    # order) and their geometric mean, which the minimum-speedup rule judges; null where not measured (CPU
    # runs, a rejection before timing) and for a single-workload spec.
    pa.field("workload_speedups", pa.list_(pa.float64())),
    pa.field("speedup_geomean", pa.float64()),
    pa.field("device", pa.string(), nullable=False),
    pa.field("hardware", pa.string(), nullable=False),
    pa.field("kerneldata_version", pa.string(), nullable=False),
]
# What the global steps add (filters.dedup, filters.decontaminate): null until they ran and where they found
# nothing. A row with a dedup_reason or a contamination_reason stays in raw and leaves sft, rl and preference.
CURATION_FIELDS = [
    pa.field("dedup_cluster", pa.string()),  # candidate_id of the row kept for this row's duplicate cluster
    pa.field("dedup_reason", pa.string()),  # exact_duplicate / near_duplicate; null for kept rows
    pa.field("contamination_reason", pa.string()),  # spec_match / reference_substring / ... ; null when clean
    pa.field("contamination_benchmark", pa.string()),
    pa.field("contamination_item", pa.string()),
    # Issue 16: the benchmark item ("benchmark/item") asking the same task as this row's spec at other sizes
    # (filters.decontaminate.task_signature); null where none does. Marks only, unless
    # decontamination.task_level is remove (then contamination_reason is task_match too).
    pa.field("task_match", pa.string()),
]
RAW_SCHEMA = pa.schema(CANDIDATE_FIELDS + VERDICT_FIELDS + CURATION_FIELDS)

# Accepted kernels, one row each, as the answer to exactly what it answered: TRL's conversational
# prompt-completion format (`prompt`: the task, or for an answer to feedback the whole conversation up to that
# feedback; `completion`: the accepted answer alone, the only message trained on) and the same conversation
# as `messages` with a per-message `train_on` flag (true on the accepted answer only).
SFT_SCHEMA = pa.schema([
    pa.field("spec_id", pa.string(), nullable=False),
    pa.field("candidate_id", pa.string(), nullable=False),
    pa.field("family", pa.string(), nullable=False),
    pa.field("ops", pa.list_(pa.string()), nullable=False),
    pa.field("dtype", pa.string(), nullable=False),
    pa.field("prompt", MESSAGES, nullable=False),
    pa.field("completion", MESSAGES, nullable=False),
    pa.field("messages", MESSAGES, nullable=False),
    pa.field("train_on", pa.list_(pa.bool_()), nullable=False),  # one flag per message of `messages`
    pa.field("turn", pa.int32(), nullable=False),  # the accepted answer's refinement turn: 0 is single-turn
    pa.field("turns", pa.int32(), nullable=False),  # assistant messages in `messages`: turn + 1
    pa.field("speedup_vs_eager", pa.float64()),
    pa.field("hardware", pa.string(), nullable=False),
])

# One row per spec with at least one accepted kernel: everything a verifiable reward needs.
RL_SCHEMA = pa.schema([
    pa.field("spec_id", pa.string(), nullable=False),
    pa.field("candidate_id", pa.string(), nullable=False),  # the best accepted kernel: a known solution
    pa.field("family", pa.string(), nullable=False),
    pa.field("ops", pa.list_(pa.string()), nullable=False),
    pa.field("dtype", pa.string(), nullable=False),
    pa.field("shapes", SHAPES, nullable=False),
    pa.field("prompt", MESSAGES, nullable=False),
    pa.field("reference_code", pa.string(), nullable=False),
    pa.field("atol", pa.float64(), nullable=False),
    pa.field("rtol", pa.float64(), nullable=False),
    # Per tensor input, its domain: the reward transforms inputs only within it, as the dataset's verifier did.
    pa.field("input_domains", pa.list_(pa.string()), nullable=False),
    pa.field("workloads", WORKLOADS),  # as in raw: the reward checks these too
    pa.field("best_speedup_vs_eager", pa.float64()),
    # Baseline timings on `hardware`, in the verifier's harness: PyTorch eager and torch.compile of the
    # reference (the known solution's runtime times its speedups); null where not measured (CPU runs).
    pa.field("baseline_eager_ms", pa.float64()),
    pa.field("baseline_compile_ms", pa.float64()),
    pa.field("hardware", pa.string(), nullable=False),
    # The difficulty: the teacher's first-answer pass rate, deliberately flawed built-in variants left out.
    pa.field("pass_rate", pa.float64(), nullable=False),
    pa.field("num_candidates", pa.int32(), nullable=False),
])

# Pairs for preference training (TRL's DPO conversational format): two answers to one prompt, of one turn
# and one kind; chosen is an accepted kernel, rejected a rejected one, or a slower accepted one when speedups
# were measured.
PREFERENCE_SCHEMA = pa.schema([
    pa.field("spec_id", pa.string(), nullable=False),
    pa.field("candidate_id", pa.string(), nullable=False),  # the chosen candidate
    pa.field("rejected_candidate_id", pa.string(), nullable=False),
    pa.field("prompt", MESSAGES, nullable=False),
    pa.field("chosen", MESSAGES, nullable=False),
    pa.field("rejected", MESSAGES, nullable=False),
    pa.field("rejected_reason", pa.string(), nullable=False),
    pa.field("turn", pa.int32(), nullable=False),  # both answers' refinement turn (0: first answers)
    pa.field("answer_kind", pa.string(), nullable=False),  # first / fix / fresh / faster / variant / refinement
])

SPLIT_SCHEMAS: dict[str, pa.Schema] = {
    "raw": RAW_SCHEMA,
    "sft": SFT_SCHEMA,
    "rl": RL_SCHEMA,
    "preference": PREFERENCE_SCHEMA,
}


def table_from_rows(rows: Iterable[Mapping], schema: pa.Schema) -> pa.Table:
    """Build a table with exactly `schema`'s columns, in order. A row missing a non-nullable column, or
    holding a value of the wrong type, raises here rather than producing a table with a guessed schema."""
    rows = list(rows)
    columns = {}
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if not field.nullable and any(v is None for v in values):
            raise ValueError(f"column {field.name!r} is required but missing or null in a row")
        columns[field.name] = pa.array(values, type=field.type)
    return pa.Table.from_pydict(columns, schema=schema)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Select and cast `table` to `schema` (extra columns dropped, order fixed, types checked)."""
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise ValueError(f"table lacks columns {missing} required by the schema")
    return table.select(schema.names).cast(schema)


def with_string_columns(table: pa.Table, columns: Mapping[str, list]) -> pa.Table:
    """`table` with each named string column set to its values: replaced where it exists, appended where
    not (a filter annotating rows it has judged before, or for the first time)."""
    for name, values in columns.items():
        column = pa.array(values, pa.string())
        if name in table.column_names:
            table = table.set_column(table.column_names.index(name), name, column)
        else:
            table = table.append_column(pa.field(name, pa.string()), column)
    return table
