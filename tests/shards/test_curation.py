"""Curation marks in raw (dedup, decontamination) and what they do to the splits; size-targeted shards;
rewriting a finished run in place."""

from __future__ import annotations

import json

import datasets
import pyarrow.parquet as pq
import pytest

import shards.writer as writer_module
from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.splits import preference_rows, rl_rows, sft_rows, split_tables
from shards.writer import MANIFEST, RunDirError, RunWriter, read_raw, rewrite
from tests.shards.conftest import raw_row, unhashed

CONFIG_YAML = Config().to_yaml()


def _ids(table, column="candidate_id"):
    return table.column(column).to_pylist()


def test_duplicates_and_contaminated_rows_leave_sft_and_preference():
    rows = [
        raw_row("e-a", "a1", "accepted", speedup=3.0, dedup_cluster="a2", dedup_reason="near_duplicate"),
        raw_row("e-a", "a2", "accepted", speedup=2.0, dedup_cluster="a2"),
        raw_row("e-a", "a3", "accepted", speedup=1.0, contamination_reason="code_ngram",
                contamination_benchmark="tb", contamination_item="k.py"),
        raw_row("e-a", "a4", "rejected", "mismatch"),
        raw_row("e-a", "a5", "rejected", "timeout", dedup_cluster="x", dedup_reason="exact_duplicate"),
    ]
    raw = table_from_rows(rows, RAW_SCHEMA)
    assert _ids(sft_rows(raw)) == ["a2"]
    pref = preference_rows(raw)
    assert _ids(pref) == ["a2"] and _ids(pref, "rejected_candidate_id") == ["a4"]
    [rl] = rl_rows(raw).to_pylist()
    # rl: the known solution is the best uncontaminated kernel, duplicate or not; the pass rate counts all.
    assert rl["candidate_id"] == "a1" and rl["pass_rate"] == 3 / 5
    assert rl["reference_code"] and rl["prompt"]  # texts of a duplicate that rl takes are there
    # What the writer uses: the same splits from one conversion of raw (texts read as rows need them).
    together = split_tables(raw)
    assert all(together[name].equals(table) for name, table in
               (("sft", sft_rows(raw)), ("rl", rl_rows(raw)), ("preference", pref)))


def test_a_reference_matching_a_benchmark_removes_the_spec_from_rl():
    rows = [raw_row("e-a", "a1", "accepted", contamination_reason="spec_match"),
            raw_row("e-b", "b1", "accepted")]
    assert _ids(rl_rows(table_from_rows(rows, RAW_SCHEMA)), "spec_id") == ["e-b"]


def test_rl_baseline_timings_come_from_the_best_kernel():
    rows = [raw_row("e-a", "a1", "accepted", speedup=2.0, runtime_ms=0.5, speedup_vs_compile=1.5),
            raw_row("e-b", "b1", "accepted")]
    by_spec = {r["spec_id"]: r for r in rl_rows(table_from_rows(rows, RAW_SCHEMA)).to_pylist()}
    assert by_spec["e-a"]["baseline_eager_ms"] == pytest.approx(1.0)
    assert by_spec["e-a"]["baseline_compile_ms"] == pytest.approx(0.75)
    assert by_spec["e-b"]["baseline_eager_ms"] is None and by_spec["e-b"]["baseline_compile_ms"] is None


def test_shards_are_cut_by_size(tmp_path, monkeypatch):
    monkeypatch.setattr(writer_module, "ROW_GROUP_ROWS", 10)
    rows = [raw_row(f"e-{i:03d}", f"c{i:03d}", "accepted", completion="x" * 2000 + str(i)) for i in range(100)]
    writer = RunWriter.create(tmp_path / "run", resume=False, target_shard_bytes=4_000)
    writer.write_part(table_from_rows(rows, RAW_SCHEMA))
    writer.finalize(CONFIG_YAML)
    files = sorted((tmp_path / "run" / "raw").glob("*.parquet"))
    assert len(files) > 2
    assert unhashed(f.name for f in files)[0] == f"train-00000-of-{len(files):05d}.parquet"
    assert sum(pq.read_metadata(f).num_rows for f in files) == 100
    assert not list((tmp_path / "run" / "raw").glob(".*"))  # no temporaries left


def _finished_run(tmp_path, rows):
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False)
    writer.write_part(table_from_rows(rows, RAW_SCHEMA))
    writer.finalize(CONFIG_YAML, {"timings": {"total_s": 2.0}})
    return run_dir


def test_rewrite_replaces_splits_card_and_manifest_and_keeps_the_rest(tmp_path):
    rows = [raw_row("e-a", "a1", "accepted", speedup=2.0), raw_row("e-a", "a2", "accepted", speedup=1.0)]
    run_dir = _finished_run(tmp_path, rows)
    (run_dir / "notes.txt").write_text("mine")
    (run_dir / "report.html").write_text("old report")
    raw = read_raw(run_dir)
    marked = raw.set_column(raw.column_names.index("contamination_reason"), "contamination_reason",
                            __import__("pyarrow").array(["spec_match", "spec_match"]))
    marked = marked.set_column(marked.column_names.index("contamination_benchmark"), "contamination_benchmark",
                               __import__("pyarrow").array(["kb", "kb"]))
    manifest = rewrite(run_dir, marked, manifest_extra={"decontaminated_with": ["kb"]})
    assert manifest["counts"]["contaminated"] == 2 and manifest["counts"]["sft"] == 0
    assert manifest["decontamination"]["by_benchmark"] == {"kb": 2}
    assert manifest["timings"] == {"total_s": 2.0} and manifest["decontaminated_with"] == ["kb"]
    assert json.loads((run_dir / MANIFEST).read_text()) == manifest
    assert (run_dir / "notes.txt").read_text() == "mine"
    assert not (run_dir / "report.html").exists()
    assert "2 as overlapping a benchmark" in (run_dir / "README.md").read_text().replace("\n", " ")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staging or old copy left beside it
    assert read_raw(run_dir).column("contamination_reason").to_pylist() == ["spec_match", "spec_match"]
    # the card's configs still load (sft and rl are empty now and left out of configs)
    raw_ds = datasets.load_dataset(str(run_dir), "raw", split="train")
    assert raw_ds.num_rows == 2
    with pytest.raises(ValueError):
        datasets.load_dataset(str(run_dir), "sft", split="train")


def test_a_rewrite_that_fails_leaves_the_run_as_it_was(tmp_path, monkeypatch):
    rows = [raw_row("e-a", "a1", "accepted", speedup=2.0), raw_row("e-a", "a2", "rejected", "mismatch")]
    run_dir = _finished_run(tmp_path, rows)
    before = {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    raw = read_raw(run_dir)
    marked = raw.set_column(raw.column_names.index("dedup_reason"), "dedup_reason",
                            __import__("pyarrow").array(["exact_duplicate", None]))
    real_write_split = RunWriter._write_split

    def failing_write_split(self, split, table):
        if split == "rl":  # raw and sft of the new run are written by now
            raise OSError(28, "No space left on device")
        real_write_split(self, split, table)

    monkeypatch.setattr(RunWriter, "_write_split", failing_write_split)
    with pytest.raises(OSError, match="No space left"):
        rewrite(run_dir, marked)
    after = {p.relative_to(run_dir).as_posix(): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # the staging copy is gone


def test_a_rewrite_cuts_shards_as_the_runs_config_says(tmp_path):
    config = Config.model_validate({"shards": {"rows_per_shard": 2}})
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False, rows_per_shard=2)
    writer.write_part(table_from_rows([raw_row(f"e-{i}", f"c{i}", "accepted") for i in range(5)], RAW_SCHEMA))
    writer.finalize(config.to_yaml())
    names = sorted(p.name for p in (run_dir / "raw").iterdir())
    assert unhashed(names) == [f"train-{i:05d}-of-00003.parquet" for i in range(3)]
    rewrite(run_dir, read_raw(run_dir))
    assert sorted(p.name for p in (run_dir / "raw").iterdir()) == names


def test_read_raw_refuses_an_unfinished_run(tmp_path):
    with pytest.raises(RunDirError, match="not a complete kerneldata run directory"):
        read_raw(tmp_path)
