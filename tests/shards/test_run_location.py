"""Run directories away from a local disk: shards.location, and RunWriter / read_raw / rewrite / report /
publish on fsspec's in-process `memory://` filesystem, which, like an object store, has no atomic rename.
The crash cases: a part cut short before its commit marker, a finalize that dies before the manifest, a
rewrite that dies before or after its journal is committed."""

from __future__ import annotations

import json
import shutil
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from kerneldata.cli import main as cli_main
from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, SPLIT_SCHEMAS, table_from_rows
from shards.location import RunLocation
from shards.publish import assemble
import shards.writer as writer_module
from shards.report import write_report
from shards.writer import (MANIFEST, PARTS_DIR, REWRITE_DIR, RunDirError, RunWriter, open_run, parquet_bytes,
                           read_raw, recover, rewrite)
from tests.shards.conftest import unhashed

CONFIG_YAML = Config().to_yaml()


@pytest.fixture
def memory_run():
    """A fresh memory:// run directory URI; everything under it is dropped afterwards."""
    bucket = f"kerneldata-test-{uuid.uuid4().hex[:12]}"
    yield f"memory://{bucket}/run"
    memory = MemoryFileSystem()
    if memory.exists(f"/{bucket}"):
        memory.rm(f"/{bucket}", recursive=True)


def _files(uri: str) -> list[str]:
    """Every file under a memory:// directory, relative to it, sorted."""
    location = RunLocation.resolve(uri)
    return sorted(path[len(location.root) + 1:] for path in location.fs.find(location.root))


def _finished(uri: str, raw: pa.Table, **kwargs) -> dict:
    writer = RunWriter.create(uri, resume=False, **kwargs)
    writer.write_part(raw)
    return writer.finalize(CONFIG_YAML, {"timings": {"total_s": 1.0}})


# -- opening a location ------------------------------------------------------------------------------------

def test_local_paths_and_file_uris_are_local(tmp_path):
    for text in (str(tmp_path / "run"), f"file://{tmp_path}/run", tmp_path / "run"):
        location = RunLocation.resolve(text)
        assert location.is_local and location.root == str(tmp_path / "run") and location.name == "run"
        assert location.uri("raw") == str(tmp_path / "run" / "raw")
    assert str(RunLocation.resolve(f"file://{tmp_path}/run")) == f"file://{tmp_path}/run"  # as the user wrote it


def test_memory_uri_is_not_local(memory_run):
    location = RunLocation.resolve(memory_run)
    assert not location.is_local and location.name == "run"
    assert location.uri(MANIFEST) == f"{memory_run.replace('memory://', 'memory:///')}/{MANIFEST}"
    assert RunLocation.resolve(location.uri(MANIFEST)).root == location.path(MANIFEST)  # the URI opens again


@pytest.mark.parametrize("text, message", [
    ("nosuchfs://bucket/run", r"^cannot open run directory nosuchfs://bucket/run: Protocol not known: nosuchfs$"),
    ("", "empty"),
])
def test_a_location_no_library_opens_is_a_one_line_error(text, message):
    with pytest.raises(RunDirError, match=message) as raised:
        RunLocation.resolve(text)
    assert "\n" not in str(raised.value)


def test_generate_refuses_an_unknown_protocol_before_starting(tmp_path, capsys):
    code = cli_main(["generate", "--config", "configs/quickstart.yaml", "--out", "nosuchfs://bucket/run", "--quiet"])
    assert code == 2
    assert capsys.readouterr().err == ("error: cannot open run directory nosuchfs://bucket/run: Protocol not known: "
                                       "nosuchfs\n")


# -- writing a run -----------------------------------------------------------------------------------------

def test_a_run_on_memory_has_the_layout_of_a_local_one(memory_run, tmp_path, mixed_raw, expected_rows):
    manifest = _finished(memory_run, mixed_raw)
    local = _finished(tmp_path / "run", mixed_raw)
    assert unhashed(_files(memory_run)) == ["README.md", MANIFEST, "preference/train-00000-of-00001.parquet",
                                  "raw/train-00000-of-00001.parquet", "rl/train-00000-of-00001.parquet",
                                  "run_config.yaml", "sft/train-00000-of-00001.parquet"]
    assert manifest["counts"] == local["counts"] and manifest["run_name"] == "run"
    location = RunLocation.resolve(memory_run)
    assert json.loads(location.read_text(MANIFEST)) == manifest
    assert location.read_text("run_config.yaml") == CONFIG_YAML
    for split, schema in SPLIT_SCHEMAS.items():
        table = location.read_table(f"{split}/{manifest['shards'][split][0]}")
        assert table.schema.equals(schema) and table.num_rows == expected_rows[split]
    assert read_raw(memory_run).equals(read_raw(tmp_path / "run"))


def test_files_are_written_whole_under_their_final_names_and_the_manifest_last(memory_run, mixed_raw, monkeypatch):
    written = []
    real_pipe, real_put = MemoryFileSystem.pipe_file, MemoryFileSystem.put_file

    def pipe(self, path, *args, **kwargs):
        written.append(path)
        return real_pipe(self, path, *args, **kwargs)

    def put(self, lpath, rpath, *args, **kwargs):
        written.append(rpath)
        return real_put(self, lpath, rpath, *args, **kwargs)

    monkeypatch.setattr(MemoryFileSystem, "pipe_file", pipe)
    monkeypatch.setattr(MemoryFileSystem, "put_file", put)
    _finished(memory_run, mixed_raw, rows_per_shard=4)
    root = RunLocation.resolve(memory_run).root
    names = [path[len(root) + 1:] for path in written]
    assert not [name for name in names if ".tmp-" in name or name.split("/")[-1].startswith(".shard")]
    assert names[-1] == MANIFEST and names.count(MANIFEST) == 1
    # 14 raw rows, 4 per shard: the shards' count is known before the first is uploaded
    raw_names = unhashed(n for n in names if n.startswith("raw/"))
    assert raw_names == [f"raw/train-{i:05d}-of-00004.parquet" for i in range(4)]
    part = next(n for n in names if n.startswith(f"{PARTS_DIR}/"))
    assert names.index(part.replace(".parquet", ".done")) == names.index(part) + 1  # the marker right after


def test_create_checks_a_memory_directory_as_it_checks_a_local_one(memory_run, mixed_raw):
    writer = RunWriter.create(memory_run, resume=False)
    assert not writer.complete and _files(memory_run) == []  # the write probe is gone
    RunLocation.resolve(memory_run).write_text("notes.txt", "a user's file")
    with pytest.raises(RunDirError, match="is not empty; pass --resume"):
        RunWriter.create(memory_run, resume=False)
    with pytest.raises(RunDirError, match="is not a kerneldata run directory"):
        RunWriter.create(memory_run, resume=True)
    RunLocation.resolve(memory_run).write_text("run", "a file")
    with pytest.raises(RunDirError, match="is a file, not a directory"):
        RunWriter.create(f"{memory_run}/run", resume=False)


def test_a_part_without_its_commit_marker_is_never_read_and_resume_redoes_it(memory_run, make_row):
    first = table_from_rows([make_row("s-a", "c1", "accepted"), make_row("s-a", "c2", "rejected")], RAW_SCHEMA)
    second = table_from_rows([make_row("s-b", "c3", "accepted")], RAW_SCHEMA)
    writer = RunWriter.create(memory_run, resume=False)
    writer.write_part(first)
    # A crash while the second part was being uploaded, on a store that showed what it had so far: half a
    # Parquet file under the final name, and no commit marker.
    location = RunLocation.resolve(memory_run)
    torn = f"{PARTS_DIR}/part-{'0' * 16}.parquet"
    data = parquet_bytes(second)
    location.write_bytes(torn, data[: len(data) // 2])
    assert writer.done_candidate_ids() == {"c1", "c2"}  # the torn part is not read (it would not parse)

    resumed = RunWriter.create(memory_run, resume=True)
    assert not location.exists(torn)  # removed: it was never committed
    assert resumed.done_candidate_ids() == {"c1", "c2"}
    resumed.write_part(second)  # the batch, redone
    manifest = resumed.finalize(CONFIG_YAML)
    assert manifest["counts"]["candidates"] == 3
    assert sorted(read_raw(memory_run).column("candidate_id").to_pylist()) == ["c1", "c2", "c3"]


def test_a_crash_between_a_part_and_its_marker_loses_only_that_batch(memory_run, make_row, monkeypatch):
    first = table_from_rows([make_row("s-a", "c1", "accepted")], RAW_SCHEMA)
    second = table_from_rows([make_row("s-b", "c2", "accepted")], RAW_SCHEMA)
    writer = RunWriter.create(memory_run, resume=False)
    writer.write_part(first)
    real_write_text = RunLocation.write_text

    def crash_on_marker(self, rel, text):
        if rel.endswith(".done"):
            raise KeyboardInterrupt("killed")
        return real_write_text(self, rel, text)

    monkeypatch.setattr(RunLocation, "write_text", crash_on_marker)
    with pytest.raises(KeyboardInterrupt):
        writer.write_part(second)
    monkeypatch.undo()
    assert len([n for n in RunLocation.resolve(memory_run).names(PARTS_DIR) if n.endswith(".parquet")]) == 2

    resumed = RunWriter.create(memory_run, resume=True)
    assert resumed.done_candidate_ids() == {"c1"}
    resumed.write_part(second)
    assert resumed.done_candidate_ids() == {"c1", "c2"}


def test_a_committed_part_that_disagrees_with_its_marker_is_an_error(memory_run, mixed_raw, make_row):
    writer = RunWriter.create(memory_run, resume=False)
    part = writer.write_part(mixed_raw)
    location = RunLocation.resolve(memory_run)
    location.fs.pipe_file(part, parquet_bytes(table_from_rows([make_row("s-a", "x", "accepted")], RAW_SCHEMA)))
    with pytest.raises(RunDirError, match=r"has 1 rows but its commit marker says 14; delete both"):
        writer.read_parts()


def test_a_crash_in_finalize_leaves_no_manifest_and_resume_completes(memory_run, mixed_raw, monkeypatch):
    def crash(*args):
        raise RuntimeError("gone")

    writer = RunWriter.create(memory_run, resume=False)
    writer.write_part(mixed_raw)
    monkeypatch.setattr(writer_module, "render_card", crash)
    with pytest.raises(RuntimeError, match="gone"):
        writer.finalize(CONFIG_YAML)
    monkeypatch.undo()
    location = RunLocation.resolve(memory_run)
    assert not location.exists(MANIFEST) and location.names(PARTS_DIR)
    with pytest.raises(RunDirError, match=r"not a complete kerneldata run directory \(no manifest.json\)$"):
        read_raw(memory_run)
    location.write_bytes("raw/train-00000-of-00009.parquet", b"stale")  # a shard a crashed attempt left

    resumed = RunWriter.create(memory_run, resume=True)
    assert resumed.finalize(CONFIG_YAML)["counts"]["raw"] == 14
    assert unhashed(location.names("raw")) == ["train-00000-of-00001.parquet"]
    assert PARTS_DIR not in location.names()
    assert RunWriter.create(memory_run, resume=True).complete


# -- rewriting, reporting and publishing a run ------------------------------------------------------------

def _marked(raw: pa.Table) -> pa.Table:
    """Every row marked as matching benchmark `kb` (what decontaminate would do)."""
    raw = raw.set_column(raw.column_names.index("contamination_reason"), "contamination_reason",
                         pa.array(["spec_match"] * raw.num_rows))
    return raw.set_column(raw.column_names.index("contamination_benchmark"), "contamination_benchmark",
                          pa.array(["kb"] * raw.num_rows))


def test_rewrite_on_memory_replaces_splits_card_and_manifest_and_keeps_the_rest(memory_run, mixed_raw):
    _finished(memory_run, mixed_raw, rows_per_shard=4)
    location = RunLocation.resolve(memory_run)
    location.write_text("notes.txt", "mine")
    write_report(memory_run)
    assert unhashed(location.names("raw")) == [f"train-{i:05d}-of-00004.parquet" for i in range(4)]

    manifest = rewrite(memory_run, _marked(read_raw(memory_run)), manifest_extra={"decontaminated_with": ["kb"]},
                       target_shard_bytes=1 << 20)
    assert manifest["counts"]["contaminated"] == 14 and manifest["counts"]["sft"] == 0
    assert manifest["timings"] == {"total_s": 1.0} and manifest["decontaminated_with"] == ["kb"]
    assert json.loads(location.read_text(MANIFEST)) == manifest
    assert unhashed(location.names("raw")) == ["train-00000-of-00001.parquet"]  # the four old shards are gone
    assert location.read_text("notes.txt") == "mine"
    assert REWRITE_DIR not in location.names() and "report" not in location.names()
    assert "report.html" not in location.names()
    assert set(read_raw(memory_run).column("contamination_reason").to_pylist()) == {"spec_match"}


@pytest.mark.parametrize("dies_at", ["first copy", "fourth copy", "manifest copy", "journal removal"])
def test_a_rewrite_that_dies_after_its_journal_is_committed_is_finished_by_the_next_writer(
        memory_run, mixed_raw, monkeypatch, dies_at):
    _finished(memory_run, mixed_raw, rows_per_shard=4)
    # The journal holds one shard per split (the default target size), the card and the manifest: 6 copies.
    copies_before_crash = {"first copy": 0, "fourth copy": 3, "manifest copy": 5, "journal removal": 6}[dies_at]
    copies = []
    real_copy, real_remove_tree = RunLocation.copy, RunLocation.remove_tree

    def dying_copy(self, src, dst):
        if len(copies) == copies_before_crash:
            raise KeyboardInterrupt("killed")
        copies.append(dst)
        return real_copy(self, src, dst)

    def dying_remove_tree(self, rel):
        if rel == REWRITE_DIR and dies_at == "journal removal" and len(copies) == copies_before_crash:
            raise KeyboardInterrupt("killed")
        return real_remove_tree(self, rel)

    monkeypatch.setattr(RunLocation, "copy", dying_copy)
    monkeypatch.setattr(RunLocation, "remove_tree", dying_remove_tree)
    with pytest.raises(KeyboardInterrupt):
        rewrite(memory_run, _marked(read_raw(memory_run)))
    monkeypatch.undo()

    if dies_at == "journal removal":  # the new run was complete; only the emptied journal is left
        assert read_raw(memory_run).column("contamination_reason").null_count == 0
    else:
        # Half applied: no manifest, so no reader takes the mix for a run; it is told what to do.
        with pytest.raises(RunDirError, match="interrupted `kerneldata dedup` or `decontaminate`.*run it again"):
            read_raw(memory_run)
    open_run(memory_run, writing=True)  # what dedup / decontaminate do first
    location = RunLocation.resolve(memory_run)
    assert REWRITE_DIR not in location.names()
    raw = read_raw(memory_run)
    assert raw.num_rows == 14 and set(raw.column("contamination_reason").to_pylist()) == {"spec_match"}
    assert json.loads(location.read_text(MANIFEST))["counts"]["contaminated"] == 14


def test_a_rewrite_that_dies_before_its_journal_is_committed_leaves_the_old_run(memory_run, mixed_raw, monkeypatch):
    before = _finished(memory_run, mixed_raw)
    real_commit = RunLocation.commit

    def dying_commit(self, finished, rel):
        if rel == f"{REWRITE_DIR}/{MANIFEST}":
            raise KeyboardInterrupt("killed")
        return real_commit(self, finished, rel)

    monkeypatch.setattr(RunLocation, "commit", dying_commit)
    with pytest.raises(KeyboardInterrupt):
        rewrite(memory_run, _marked(read_raw(memory_run)))
    monkeypatch.undo()
    location = RunLocation.resolve(memory_run)
    assert REWRITE_DIR in location.names()
    assert read_raw(memory_run).column("contamination_reason").null_count == 14  # readers see the old run
    recover(memory_run)
    assert REWRITE_DIR not in location.names()
    assert json.loads(location.read_text(MANIFEST)) == before


def test_report_and_publish_read_a_memory_run(memory_run, mixed_raw):
    _finished(memory_run, mixed_raw)
    written = write_report(memory_run)
    assert written["html"].startswith("memory://") and written["html"].endswith("/run/report.html")
    location = RunLocation.resolve(memory_run)
    assert location.names("report") == ["acceptance_by_family.png", "curation.png", "speedup_by_family.png",
                                        "turns_to_success.png"]
    assert location.read_bytes("report/curation.png").startswith(b"\x89PNG")

    folder = assemble(memory_run, secrets=[])
    try:
        assert sorted(p.name for p in folder.iterdir()) == sorted(
            ["README.md", MANIFEST, "run_config.yaml", "raw", "sft", "rl", "preference", "report.html", "report"])
        assert pq.read_table(folder / "raw").num_rows == 14
        assert len(list((folder / "report").iterdir())) == 4
    finally:
        shutil.rmtree(folder)


def test_the_cli_curates_and_reports_a_memory_run(memory_run, mixed_raw, capsys):
    _finished(memory_run, mixed_raw)
    assert cli_main(["dedup", memory_run, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checked"] == 13  # the kernels: one of the 14 rows has no code
    assert json.loads(RunLocation.resolve(memory_run).read_text(MANIFEST))["dedup_config"]["enabled"] is True
    assert cli_main(["report", memory_run, "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["png"]) == 4
    assert cli_main(["publish", memory_run, "--repo-id", "org/name", "--dry-run"]) == 0
    assert json.loads(capsys.readouterr().out)["folder"] is None  # assembled, checked and removed
    assert cli_main(["report", f"{memory_run}-missing"]) == 2
    assert "is not a complete kerneldata run directory" in capsys.readouterr().err
