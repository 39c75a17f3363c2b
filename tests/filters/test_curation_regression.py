"""Pinned curation verdicts on a realistic small set: the speed-ups of dedup and decontamination must not
change a single cluster, reason or matched item.

`regression/rows.parquet` holds 222 rows: every candidate of 12 specs and 60 more from the benchmark's
synthetic run (`bench/dedup_decontam.py`: the built-in teacher's kernels, varied), and 6 crafted rows whose
reference or code copies a benchmark fixture. `regression/sampler_problems.jsonl` holds 29 sampler-made
KernelBench-format problems, the ones those references overlap among them. `regression/verdicts.json` was
written by the implementation before the speed-up (commit 86feb45); a deliberate change of what counts as a
duplicate or a match rewrites it, with the reason in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kerneldata.core.config import DecontaminationConfig, DedupConfig
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from filters import parallel
from filters.curate import curate
from filters.decontaminate import BenchmarkIndex, decontaminate, load_benchmarks
from filters.dedup import dedup
from tests.shards.conftest import raw_row

HERE = Path(__file__).parent
FIXTURES = HERE / "regression"
BENCHMARKS = [str(HERE / "benchmarks" / "kernelbench_mini"), str(HERE / "benchmarks" / "tritonbench_mini"),
              str(FIXTURES / "sampler_problems.jsonl")]
CONFIGS = {"op": DedupConfig(), "spec": DedupConfig(scope="spec"),
           "global_0.7": DedupConfig(scope="global", threshold=0.7)}
COLUMNS = ("dedup_cluster", "dedup_reason", "contamination_reason", "contamination_benchmark", "contamination_item")


@pytest.fixture(scope="module")
def raw():
    rows = pq.read_table(FIXTURES / "rows.parquet").to_pylist()
    return table_from_rows([raw_row(r.pop("spec_id"), r.pop("candidate_id"), r.pop("status"),
                                    speedup=r.pop("speedup_vs_eager"), **r) for r in rows], RAW_SCHEMA)


@pytest.fixture(scope="module")
def index():
    return BenchmarkIndex(load_benchmarks(BENCHMARKS), DecontaminationConfig(benchmarks=BENCHMARKS))


def _verdicts(table) -> list[list]:
    return [list(row) for row in zip(*(table.column(c).to_pylist() for c in COLUMNS))]


@pytest.fixture(scope="module")
def expected():
    return json.loads((FIXTURES / "verdicts.json").read_text())


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_curation_verdicts_are_unchanged(raw, index, expected, name):
    got = _verdicts(curate(raw, CONFIGS[name], index, workers=1))
    mismatched = [i for i, (a, b) in enumerate(zip(got, expected[name])) if a != b]
    assert not mismatched, f"{len(mismatched)} rows differ, first row {mismatched[0]}: " \
                           f"{got[mismatched[0]]} != {expected[name][mismatched[0]]}"
    assert len(got) == len(expected[name])


def test_the_set_exercises_every_verdict(expected):
    seen = {reason for name in CONFIGS for row in expected[name] for reason in (row[1], row[2])}
    assert seen >= {"exact_duplicate", "near_duplicate", "spec_match", "reference_ngram", "code_substring",
                    "code_ngram", None}


def test_the_separate_steps_and_worker_processes_agree(raw, index, expected, monkeypatch):
    steps = decontaminate(dedup(raw, DedupConfig(workers=1)), index)
    assert _verdicts(steps) == expected["op"]
    monkeypatch.setattr(parallel, "MIN_ITEMS_FOR_WORKERS", 1)
    assert _verdicts(curate(raw, DedupConfig(workers=2), index)) == expected["op"]


def test_each_step_alone_keeps_the_other_steps_columns(raw, index, expected):
    """What `kerneldata dedup` and `decontaminate` run: curate with one step, the other's marks untouched."""
    deduped = curate(raw, DedupConfig(), None, workers=1)
    assert [row[:2] for row in _verdicts(deduped)] == [row[:2] for row in expected["op"]]
    assert deduped.select(COLUMNS[2:]).equals(raw.select(COLUMNS[2:]))
    both = curate(deduped, None, index, workers=1)
    assert _verdicts(both) == expected["op"]
    assert _verdicts(curate(both, DedupConfig(enabled=False), None, workers=1)) == \
        [[None, None, *row[2:]] for row in expected["op"]]
