"""shards.writer.RunWriter: directory checks, checkpoints, finalize, and loading the result with `datasets`."""

from __future__ import annotations

import json
import os
from pathlib import PurePosixPath

import pyarrow.parquet as pq
import pytest
import yaml

import shards.writer as writer_module
from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, SPLIT_SCHEMAS, table_from_rows
from shards.writer import MANIFEST, PARTS_DIR, RunDirError, RunWriter
from tests.shards.conftest import unhashed

CONFIG_YAML = Config().to_yaml()


def _finalized(tmp_path, raw_table, **kwargs):
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False, **kwargs)
    writer.write_part(raw_table)
    manifest = writer.finalize(CONFIG_YAML, {"timings": {"total_s": 1.5}})
    return run_dir, manifest


# -- create ------------------------------------------------------------------------------------------------

def test_create_makes_a_missing_directory(tmp_path):
    writer = RunWriter.create(tmp_path / "a" / "b", resume=False)
    assert (tmp_path / "a" / "b").is_dir()
    assert not writer.complete
    assert list((tmp_path / "a" / "b").iterdir()) == []  # the write probe is gone


def test_create_accepts_an_empty_directory(tmp_path):
    RunWriter.create(tmp_path, resume=False)


def test_non_empty_directory_without_resume_is_refused(tmp_path):
    (tmp_path / "something").write_text("x")
    with pytest.raises(RunDirError, match=r"is not empty; pass --resume to continue it or choose another --out"):
        RunWriter.create(tmp_path, resume=False)
    assert issubclass(RunDirError, ValueError)


def test_resume_refuses_a_directory_kerneldata_did_not_write(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(RunDirError, match="not a kerneldata run directory"):
        RunWriter.create(tmp_path, resume=True)


def test_unwritable_directory_is_refused(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    # The parent is a regular file: no one, root included, can create a directory under it.
    with pytest.raises(RunDirError, match=r"^cannot write to output directory .*file/run: Not a directory$"):
        RunWriter.create(a_file / "run", resume=False)


def test_an_existing_file_is_not_a_run_directory(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(RunDirError, match="is a file, not a directory"):
        RunWriter.create(tmp_path / "run", resume=True)


# -- checkpoints -------------------------------------------------------------------------------------------

def test_parts_round_trip_and_duplicates_are_dropped(tmp_path, make_row):
    writer = RunWriter.create(tmp_path / "run", resume=False)
    first = table_from_rows([make_row("s-b", "c3", "accepted"), make_row("s-a", "c2", "rejected")], RAW_SCHEMA)
    # c2 again, with another verdict (a retried batch): only one copy survives.
    second = table_from_rows([make_row("s-a", "c2", "unverified"), make_row("s-a", "c1", "accepted")], RAW_SCHEMA)
    path_first = PurePosixPath(writer.write_part(first))
    path_second = PurePosixPath(writer.write_part(second))
    assert path_first != path_second
    assert path_first.parent.name == PARTS_DIR and path_first.name.startswith("part-")
    assert len(path_first.stem) == len("part-") + 16

    assert writer.done_candidate_ids() == {"c1", "c2", "c3"}
    merged = writer.read_parts()
    assert merged.schema.equals(RAW_SCHEMA)
    assert list(zip(merged.column("spec_id").to_pylist(), merged.column("candidate_id").to_pylist())) == [
        ("s-a", "c1"), ("s-a", "c2"), ("s-b", "c3")]
    # The kept copy of c2 is the one in the part whose name sorts first.
    kept_from = first if path_first.name < path_second.name else second
    expected_status = [r for r in kept_from.to_pylist() if r["candidate_id"] == "c2"][0]["status"]
    assert merged.to_pylist()[1]["status"] == expected_status


def test_write_part_is_idempotent_and_leaves_no_temporaries(tmp_path, mixed_raw):
    writer = RunWriter.create(tmp_path / "run", resume=False)
    assert writer.write_part(mixed_raw) == writer.write_part(mixed_raw.slice(0))
    part = PurePosixPath(writer.write_part(mixed_raw))
    # the part and its commit marker, nothing else
    assert sorted(p.name for p in (tmp_path / "run" / PARTS_DIR).iterdir()) == [f"{part.stem}.done", part.name]
    assert json.loads((tmp_path / "run" / PARTS_DIR / f"{part.stem}.done").read_text()) == {"rows": 14}
    assert writer.write_part(mixed_raw.slice(0, 0)) is None


def test_write_part_conforms_extra_columns_away(tmp_path, mixed_raw):
    writer = RunWriter.create(tmp_path / "run", resume=False)
    path = writer.write_part(mixed_raw.append_column("scratch", mixed_raw.column("spec_id")))
    assert pq.read_schema(path).names == RAW_SCHEMA.names


def test_resume_sees_the_checkpoints(tmp_path, mixed_raw):
    RunWriter.create(tmp_path / "run", resume=False).write_part(mixed_raw)
    resumed = RunWriter.create(tmp_path / "run", resume=True)
    assert not resumed.complete
    assert resumed.done_candidate_ids() == set(mixed_raw.column("candidate_id").to_pylist())


def test_a_batch_reads_only_its_specs_rows(tmp_path, make_row):
    writer = RunWriter.create(tmp_path / "run", resume=False)
    writer.write_part(table_from_rows([make_row("s-a", "c1", "accepted"), make_row("s-b", "c2", "rejected")],
                                      RAW_SCHEMA))
    writer.write_part(table_from_rows([make_row("s-c", "c3", "accepted"), make_row("s-a", "c4", "rejected")],
                                      RAW_SCHEMA))
    index = writer.part_index()
    assert sorted(index) == ["s-a", "s-b", "s-c"] and len(index["s-a"]) == 2 and len(index["s-b"]) == 1
    rows = writer.judged_rows(index, ["s-a", "s-z"])
    assert sorted(rows) == ["c1", "c4"] and rows["c4"]["status"] == "rejected"
    assert writer.judged_rows(index, []) == {}


def test_session_counters_are_summed_and_go_with_the_parts(tmp_path, mixed_raw):
    writer = RunWriter.create(tmp_path / "run", resume=False)
    writer.write_counters("first", {"faults": {"verifier_worker_died": 1}, "teacher": {"cache_hits": 2}})
    writer.write_counters("first", {"faults": {"verifier_worker_died": 2}, "teacher": {"cache_hits": 3}})  # replaced
    writer.write_counters("second", {"faults": {"verifier_worker_died": 1, "teacher_gave_up": 1}, "teacher": {}})
    assert writer.read_counters() == {"faults": {"verifier_worker_died": 3, "teacher_gave_up": 1},
                                      "teacher": {"cache_hits": 3}, "sessions": 2}
    with pytest.raises(ValueError, match="session id 'a/b' must be"):
        writer.write_counters("a/b", {})
    writer.finalize("run:\n  name: r\n", raw=mixed_raw)
    assert not (tmp_path / "run" / PARTS_DIR).exists()


# -- finalize ----------------------------------------------------------------------------------------------

def test_finalize_writes_every_file(tmp_path, mixed_raw, expected_rows):
    run_dir, manifest = _finalized(tmp_path, mixed_raw)
    assert sorted(p.name for p in run_dir.iterdir()) == sorted(
        ["README.md", "run_config.yaml", MANIFEST, "raw", "sft", "rl", "preference"])  # _parts is gone
    for split, schema in SPLIT_SCHEMAS.items():
        files = sorted((run_dir / split).iterdir())
        assert unhashed(f.name for f in files) == ["train-00000-of-00001.parquet"]
        table = pq.read_table(files[0])
        assert table.schema.equals(schema)
        assert table.num_rows == expected_rows[split]
        assert pq.ParquetFile(files[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    assert (run_dir / "run_config.yaml").read_text() == CONFIG_YAML
    assert json.loads((run_dir / MANIFEST).read_text()) == manifest

    counts = manifest["counts"]
    assert counts == {"candidates": 14, "specs": 3, "accepted": 5, "rejected": 6, "unverified": 3,
                      "duplicates": 0, "contaminated": 0, "raw": 14, "sft": 5, "rl": 2, "preference": 5}
    assert manifest["by_reason"] == {"ok": 5, "interpreter_limit": 3, "mismatch": 3, "compile_error": 1,
                                     "no_code": 1, "timeout": 1}
    assert sum(manifest["by_stage"].values()) == 14
    assert manifest["by_family"] == {"elementwise": {"candidates": 8, "accepted": 3},
                                     "matmul": {"candidates": 2, "accepted": 0},
                                     "reduction": {"candidates": 4, "accepted": 2}}
    assert manifest["by_turn"] == {"0": {"candidates": 13, "accepted": 4}, "1": {"candidates": 1, "accepted": 1}}
    assert manifest["hardware"] == ["NVIDIA H200", "cpu (triton interpreter)"]
    assert manifest["devices"] == ["cpu", "cuda"]
    assert manifest["run_name"] == "run"
    assert manifest["timings"] == {"total_s": 1.5}
    assert {"python", "torch", "pyarrow"} <= set(manifest["versions"])
    assert manifest["created_at"].endswith("+00:00")


def test_finalize_shards_by_rows_per_shard(tmp_path, mixed_raw):
    run_dir, _ = _finalized(tmp_path, mixed_raw, rows_per_shard=4)
    names = sorted(p.name for p in (run_dir / "raw").iterdir())
    assert unhashed(names) == [f"train-{i:05d}-of-00004.parquet" for i in range(4)]  # 14 rows, 4 per shard
    rows = sum(pq.read_metadata(run_dir / "raw" / name).num_rows for name in names)
    assert rows == 14
    assert unhashed(p.name for p in (run_dir / "rl").iterdir()) == ["train-00000-of-00001.parquet"]


def test_an_empty_run_still_has_one_file_per_split(tmp_path):
    run_dir = tmp_path / "run"
    manifest = RunWriter.create(run_dir, resume=False).finalize(CONFIG_YAML)
    assert manifest["counts"]["candidates"] == 0
    for split, schema in SPLIT_SCHEMAS.items():
        table = pq.read_table(run_dir / split / manifest["shards"][split][0])
        assert table.num_rows == 0 and table.schema.equals(schema)


def test_manifest_is_written_last(tmp_path, mixed_raw, monkeypatch):
    replaced = []
    real_replace = os.replace

    def recording_replace(src, dst):
        replaced.append(os.path.relpath(dst, tmp_path / "run"))
        real_replace(src, dst)

    monkeypatch.setattr(writer_module.os, "replace", recording_replace)
    _finalized(tmp_path, mixed_raw)
    assert replaced[-1] == MANIFEST
    assert replaced.count(MANIFEST) == 1
    assert {"README.md", "run_config.yaml", "raw/train-00000-of-00001.parquet"} <= set(unhashed(replaced))


def test_a_crash_in_finalize_leaves_no_manifest_and_resume_completes(tmp_path, mixed_raw, monkeypatch):
    run_dir = tmp_path / "run"
    writer = RunWriter.create(run_dir, resume=False)
    writer.write_part(mixed_raw)

    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer_module, "render_card", crash)
    with pytest.raises(RuntimeError, match="disk on fire"):
        writer.finalize(CONFIG_YAML)
    assert not (run_dir / MANIFEST).exists()
    assert (run_dir / PARTS_DIR).is_dir()  # the checkpoints survive
    monkeypatch.undo()

    # A stale shard from the crashed attempt, under a name this finalize would not write, is removed.
    (run_dir / "raw" / "train-00000-of-00009.parquet").write_bytes(b"stale")
    resumed = RunWriter.create(run_dir, resume=True)
    assert not resumed.complete
    manifest = resumed.finalize(CONFIG_YAML)
    assert manifest["counts"]["raw"] == 14
    assert unhashed(p.name for p in (run_dir / "raw").iterdir()) == ["train-00000-of-00001.parquet"]

    done = RunWriter.create(run_dir, resume=True)
    assert done.complete
    with pytest.raises(RunDirError, match="already complete"):
        done.write_part(mixed_raw)
    with pytest.raises(RunDirError, match="already complete"):
        done.finalize(CONFIG_YAML)


def test_manifest_extra_may_repeat_but_not_change_computed_keys(tmp_path, mixed_raw):
    writer = RunWriter.create(tmp_path / "run", resume=False)
    writer.write_part(mixed_raw)
    with pytest.raises(ValueError, match="counts"):
        writer.finalize(CONFIG_YAML, {"counts": {}})
    assert not (tmp_path / "run" / MANIFEST).exists()
    manifest = writer.finalize(CONFIG_YAML, {"run_name": "run", "verify_workers": 2})
    assert manifest["run_name"] == "run" and manifest["verify_workers"] == 2


def test_readme_front_matter_declares_the_configs(tmp_path, mixed_raw):
    run_dir, _ = _finalized(tmp_path, mixed_raw)
    text = (run_dir / "README.md").read_text()
    assert text.startswith("---\n")
    front = yaml.safe_load(text.split("---\n")[1])
    assert [c["config_name"] for c in front["configs"]] == ["raw", "sft", "rl", "preference"]


# -- loading the run directory with `datasets` ------------------------------------------------------------

@pytest.fixture
def offline_datasets(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    yield datasets, str(tmp_path / "hf-cache")
    datasets.enable_progress_bars()


def test_load_dataset_reads_every_config(tmp_path, mixed_raw, expected_rows, offline_datasets):
    datasets, cache_dir = offline_datasets
    run_dir, _ = _finalized(tmp_path, mixed_raw)
    for name, schema in SPLIT_SCHEMAS.items():
        loaded = datasets.load_dataset(str(run_dir), name, cache_dir=cache_dir)
        assert list(loaded) == ["train"]
        assert loaded["train"].num_rows == expected_rows[name], name
        assert loaded["train"].column_names == schema.names
    default = datasets.load_dataset(str(run_dir), split="train", cache_dir=cache_dir)
    assert default.column_names == SPLIT_SCHEMAS["sft"].names
    chat = default[0]["messages"]
    assert [m["role"] for m in chat] == ["system", "user", "assistant"]


def test_load_dataset_names_the_configs_of_a_run_with_empty_splits(tmp_path, make_row, offline_datasets):
    # Nothing accepted: sft, rl and preference are empty, which `datasets` cannot load, so the card does not
    # declare them; asking for one fails with the list of configs that exist.
    datasets, cache_dir = offline_datasets
    raw = table_from_rows([make_row("s-a", "c1", "rejected"), make_row("s-a", "c2", "unverified")], RAW_SCHEMA)
    run_dir, _ = _finalized(tmp_path, raw)
    assert datasets.load_dataset(str(run_dir), "raw", split="train", cache_dir=cache_dir).num_rows == 2
    with pytest.raises(ValueError, match="'sft' not found"):
        datasets.load_dataset(str(run_dir), "sft", cache_dir=cache_dir)
