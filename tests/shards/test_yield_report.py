"""bench/yield_report.py on an interrupted run (`--partial`): the candidates it checkpointed are reported, and
a run with no manifest is refused without it."""

from __future__ import annotations

import pytest

from bench import yield_report
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.location import RunDirError
from shards.writer import RunWriter


def test_an_interrupted_run_is_reported_from_its_checkpoint(tmp_path, make_row, capsys):
    run = tmp_path / "run"
    writer = RunWriter.create(run, resume=False)
    rows = [make_row("rmsnorm-a", "c1", "accepted", speedup=2.5, speedup_vs_compile=1.1),
            make_row("rmsnorm-a", "c2", "rejected", "too_slow", speedup=0.6),
            make_row("gelu-b", "c3", "accepted", speedup=1.1)]
    writer.write_part(table_from_rows(rows, RAW_SCHEMA))
    with pytest.raises(RunDirError):
        yield_report.main([str(run), "--no-headroom"])
    assert yield_report.main([str(run), "--no-headroom", "--partial"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("partial: 3 checkpointed candidates")
    assert "candidates 3, accepted 2" in out
    assert "| all | 2 | 2/2 (100%) | 1/2 (50%) |" in out
