"""`RunWriter`: the only code that writes a run directory (DESIGN section 3.3), on a local disk or any
filesystem `shards.location` opens (S3, GCS, ... by URI).

```
RUN_DIR/
  _parts/part-<16 hex>.parquet   checkpoints while the run is in progress (RAW_SCHEMA), removed at the end
  _parts/part-<16 hex>.done      each checkpoint's commit marker, written after it: {"rows": N}
  _parts/counters-<id>.json      what each session (one start or resume) counted so far: faults, cache
                                 hits...; summed into the manifest at the end, removed with the parts
  raw/ sft/ rl/ preference/      SPLIT/train-00000-of-0000N-<16 hex>.parquet, zstd, at least one file per
                                 split, each about `target_shard_bytes` (checked after every row group);
                                 the hex is a digest of the split's bytes (see "Names by content"); sft,
                                 rl and preference may also hold test-... and validation-... files, the
                                 specs held out by `shards.test_fraction` / `validation_fraction`
                                 (shards.holdout)
  run_config.yaml                the resolved config that made the run
  README.md                      the dataset card, whose `configs:` make `datasets.load_dataset` work
  manifest.json                  counts, versions, hardware, timings; written last
```

Guarantees:
- Every file is written whole (`RunLocation.write_bytes`): on a local disk under a temporary name moved into
  place with `os.replace`; elsewhere as one upload under its final name (object stores have no atomic rename
  but show an object only once it is complete).
- A checkpoint counts only once its commit marker exists; the marker is written after the part is complete,
  so a part a crash cut short (on a store that can show one) is never read: a resumed run removes it and
  redoes that batch. The marker's row count is checked against the part when it is read.
- `manifest.json` is written last; its presence means the run is complete. A crash anywhere before it
  leaves `_parts/` in place, and a resumed run skips the candidates already there (`done_candidate_ids`)
  and writes the splits again. A crash loses at most the batch that was being checkpointed.
- The output does not depend on the order in which batches finished: parts are merged, a candidate id
  seen twice is kept once (the copy in the part whose name sorts first), and rows are sorted by
  (spec_id, candidate_id).

Names by content. A shard's name ends with a digest of its split's bytes, and the card's `configs:` (and the
manifest's `shards`) list the names. `datasets` keys its cache of a local run directory by the `configs:`
patterns alone (not by the files' times or bytes), so a rewrite that kept the names (dedup, decontaminate,
a resume, each rewriting the splits) would be served from the cache of the old rows; new rows get new
names, hence a new cache entry, and the same rows the same names (Parquet from one pyarrow version writes
the same rows as the same bytes, with no time in them).

- `rewrite` (after `kerneldata dedup` / `decontaminate` annotated raw again). On a local disk it builds the
  whole new run directory beside the old one and swaps the two in one atomic `renameat2(RENAME_EXCHANGE)`
  where Linux offers it (two renames elsewhere), so a reader sees the old run or the new one, never a mix.
  Elsewhere there is no atomic swap: the new splits, card and manifest are first uploaded whole to
  `RUN_DIR/_rewrite/` (its manifest last: the journal is then committed), then copied over the old ones with
  the manifest removed first and put back last, then `_rewrite/` is removed (its manifest first). A crash
  leaves either an uncommitted journal (the old run is intact; the journal is dropped) or a committed one,
  which the next writer (`rewrite`, `RunWriter.create`, `recover`) applies again. Meanwhile a reader finds
  no manifest and is told to run the command again; it never reads a mix.

Limits: `finalize` holds all of raw in memory (fine for the hundreds of thousands of rows one run makes;
not meant for merging many runs). Nothing here checks that a resumed run uses the same config as the run
it continues; candidate ids derive from content, so a different config adds candidates rather than
replacing them. One writer per run directory at a time: two drivers writing one directory are not detected.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import json
import math
import os
import platform
import re
import shutil
import tempfile
from collections import Counter
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

import kerneldata
from kerneldata.core.hashing import stable_id
from kerneldata.core.outcomes import Status
from kerneldata.core.schema import RAW_SCHEMA, SPLIT_SCHEMAS, conform
from shards import row_stats
from shards.card import render_card
from shards.holdout import DIVIDED, TRAIN, divide, fractions_of
from shards.location import RunDirError, RunLocation, error_line
from shards.splits import split_tables

PARTS_DIR = "_parts"
PART_SUFFIX = ".parquet"
MARKER_SUFFIX = ".done"  # a part's commit marker: `_parts/part-X.done` beside `_parts/part-X.parquet`
COUNTERS_PREFIX = "counters-"  # `_parts/counters-<session>.json`: one session's counts
REWRITE_DIR = "_rewrite"  # the journal of a rewrite away from a local disk (module docstring)
MANIFEST = "manifest.json"
RUN_CONFIG = "run_config.yaml"
CARD = "README.md"
SPLITS = tuple(SPLIT_SCHEMAS)  # raw, sft, rl, preference
# The keys the writer puts in manifest.json; `finalize(manifest_extra=...)` adds others beside them.
# counts: candidates, specs, accepted, rejected, unverified, and the rows of each split (raw, sft, rl,
# preference). by_stage / by_reason: candidates per deciding check / reason_code, over all of raw.
# by_family: {family: {candidates, accepted}}; by_turn: {refinement turn: {candidates, accepted}}.
# hardware / devices: sorted distinct values in raw.
# dedup: {clusters, duplicates, exact_duplicate, near_duplicate}; decontamination: {checked, contaminated,
# by_benchmark, by_reason}; speedups: per family, the measured speedups over eager of accepted kernels.
# shards: {split: its file names, in order}, named by content (module docstring).
MANIFEST_KEYS = ("kerneldata_version", "created_at", "run_name", "counts", "by_stage", "by_reason",
                 "by_family", "by_turn", "hardware", "devices", "versions", "dedup", "decontamination", "speedups",
                 "shards", "row_stats", "holdout")
DEFAULT_TARGET_SHARD_BYTES = 256 << 20
REPORT_FILES = ("report.html", "report")  # made by shards.report from raw; stale once raw changes
# Rows per Parquet row group: small enough that a reader (the Hub's viewer included) can fetch a few rows of
# raw, whose rows carry whole sources and completions, without reading tens of megabytes.
ROW_GROUP_ROWS = 1_000
# Distributions that provide the `triton` module: upstream, and the builds PyTorch ships for ROCm and nightly.
_TRITON_DISTRIBUTIONS = ("triton", "pytorch-triton-rocm", "pytorch-triton")


class RunWriter:
    """Writes one run directory. Make one with `RunWriter.create`, checkpoint batches of judged candidates
    with `write_part`, and end with `finalize`."""

    def __init__(self, out_dir: str | os.PathLike | RunLocation, *, rows_per_shard: int | None = None,
                 target_shard_bytes: int = DEFAULT_TARGET_SHARD_BYTES, complete: bool = False) -> None:
        if rows_per_shard is not None and rows_per_shard < 1:
            raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
        if target_shard_bytes < 1:
            raise ValueError(f"target_shard_bytes must be at least 1, got {target_shard_bytes}")
        self.location = RunLocation.resolve(out_dir)
        self.rows_per_shard = rows_per_shard
        self.target_shard_bytes = target_shard_bytes
        # True when the directory holds a finished run (its manifest exists): nothing is left to do.
        self.complete = complete

    @classmethod
    def create(cls, out_dir: str | os.PathLike | RunLocation, resume: bool, *, rows_per_shard: int | None = None,
               target_shard_bytes: int = DEFAULT_TARGET_SHARD_BYTES) -> RunWriter:
        """Check that `out_dir` (a local path or URI) can hold this run, creating it if needed.

        A fresh run needs a missing or empty directory; `resume` continues a run directory kerneldata
        wrote (one with `_parts/`, a manifest or a run config). Raises `RunDirError` otherwise, or when the
        directory cannot be opened, created or written.
        """
        location = RunLocation.resolve(out_dir)
        try:
            if location.is_file():
                raise RunDirError(f"output path {location} is a file, not a directory; choose another --out")
            names = location.names()
        except (OSError, pa.ArrowException) as err:
            raise RunDirError(f"cannot read output directory {location}: {error_line(err)}") from None
        if names:
            if not resume:
                raise RunDirError(f"output directory {location} is not empty; pass --resume to continue it "
                                  f"or choose another --out")
            if not {PARTS_DIR, MANIFEST, RUN_CONFIG} & set(names):
                raise RunDirError(f"output directory {location} is not empty and is not a kerneldata run "
                                  f"directory (no {PARTS_DIR}/ or {MANIFEST}); choose another --out")
        try:
            location.makedirs()
            probe = f".kerneldata-write-probe-{os.getpid()}"
            location.write_bytes(probe, b"")
            location.remove(probe)
        except (OSError, pa.ArrowException) as err:
            raise RunDirError(f"cannot write to output directory {location}: {error_line(err)}") from None
        recover(location)
        complete = location.is_file(MANIFEST)
        writer = cls(location, rows_per_shard=rows_per_shard, target_shard_bytes=target_shard_bytes,
                     complete=complete)
        if complete:
            # A crash between writing the manifest and removing the checkpoints leaves them behind.
            location.remove_tree(PARTS_DIR)
        else:
            writer._remove_uncommitted()
        return writer

    # -- checkpoints -------------------------------------------------------------------------------------

    def write_part(self, table: pa.Table) -> str | None:
        """Checkpoint a batch of judged candidates (RAW_SCHEMA columns, extra columns dropped): the part,
        then its commit marker. Returns the part's path on its filesystem, or None for an empty batch. The
        same candidates always get the same name, and a committed part is never written again, so writing
        a batch twice is harmless."""
        self._check_not_complete()
        table = conform(table, RAW_SCHEMA)
        if table.num_rows == 0:
            return None
        ids = sorted(table.column("candidate_id").to_pylist())
        part = f"{PARTS_DIR}/part-{stable_id(ids)}{PART_SUFFIX}"
        marker = _marker_of(part)
        if not self.location.exists(marker):
            self.location.write_bytes(part, parquet_bytes(table))
            self.location.write_text(marker, json.dumps({"rows": table.num_rows}) + "\n")
        return self.location.path(part)

    def write_counters(self, session: str, counters: dict) -> None:
        """Checkpoint what session `session` counted so far (nested dicts of ints), replacing its last
        checkpoint (written whole, like every file); `read_counters` sums every session's."""
        self._check_not_complete()
        if not re.fullmatch(r"[A-Za-z0-9_-]+", session):
            raise ValueError(f"session id {session!r} must be letters, digits, _ and -")
        self.location.write_text(f"{PARTS_DIR}/{COUNTERS_PREFIX}{session}.json", json.dumps(counters, sort_keys=True))

    def read_counters(self) -> dict:
        """Every session's counters summed key by key (nested dicts of ints); `sessions` is how many there were."""
        names = [name for name in self.location.names(PARTS_DIR)
                 if name.startswith(COUNTERS_PREFIX) and name.endswith(".json")]
        total: dict = {}
        for name in names:
            try:
                _add_counts(total, json.loads(self.location.read_text(f"{PARTS_DIR}/{name}")))
            except (OSError, ValueError) as err:
                raise RunDirError(f"checkpoint {self.location.uri(f'{PARTS_DIR}/{name}')} is unreadable "
                                  f"({error_line(err)}); delete it (its counts are lost)") from None
        return {**total, "sessions": len(names)}

    def part_index(self) -> dict[str, list[str]]:
        """The committed parts holding each spec's checkpointed candidates, by spec id: a resumed run reads
        a batch's rows (`judged_rows`) without holding every part in memory."""
        index: dict[str, list[str]] = {}
        for part in self._committed_parts():
            for spec_id in set(self._read_part(part, columns=["spec_id"]).column("spec_id").to_pylist()):
                index.setdefault(spec_id, []).append(part)
        return index

    def judged_rows(self, index: dict[str, list[str]], spec_ids: list[str]) -> dict[str, dict]:
        """The checkpointed rows of these specs, by candidate id (the first copy where a part repeats one)."""
        wanted = set(spec_ids)
        rows: dict[str, dict] = {}
        for part in sorted({part for spec_id in wanted for part in index.get(spec_id, ())}):
            table = conform(self._read_part(part), RAW_SCHEMA)
            table = table.filter(pc.is_in(table["spec_id"], value_set=pa.array(sorted(wanted), pa.string())))
            for row in table.to_pylist():
                rows.setdefault(row["candidate_id"], row)
        return rows

    def done_candidate_ids(self) -> set[str]:
        """Candidate ids already checkpointed (committed parts only): a resumed run skips them."""
        done: set[str] = set()
        for part in self._committed_parts():
            done.update(self._read_part(part, columns=["candidate_id"]).column("candidate_id").to_pylist())
        return done

    def read_parts(self) -> pa.Table:
        """Every checkpointed candidate once, sorted by (spec_id, candidate_id), as a RAW_SCHEMA table."""
        tables = [conform(self._read_part(part), RAW_SCHEMA) for part in self._committed_parts()]
        if not tables:
            return RAW_SCHEMA.empty_table()
        table = pa.concat_tables(tables)
        seen: set[str] = set()
        keep = []
        for index, candidate_id in enumerate(table.column("candidate_id").to_pylist()):
            if candidate_id not in seen:
                seen.add(candidate_id)
                keep.append(index)
        if len(keep) < table.num_rows:
            table = table.take(pa.array(keep, type=pa.int64()))
        return table.sort_by([("spec_id", "ascending"), ("candidate_id", "ascending")])

    # -- the end of a run --------------------------------------------------------------------------------

    def finalize(self, config_yaml: str, manifest_extra: dict | None = None, *, raw: pa.Table | None = None) -> dict:
        """Write the splits, run_config.yaml, README.md and, last, manifest.json; then remove the
        checkpoints. Returns the manifest. `manifest_extra` (timings, say) is added to the manifest; a key
        the writer computes may be repeated with the same value, never changed (ValueError). `raw` is the
        checkpointed candidates as the global steps annotated them (default: `read_parts()` as they are);
        it must hold the same candidates."""
        self._check_not_complete()
        if raw is None:
            raw = self.read_parts()
        self._write_all(conform(raw, RAW_SCHEMA), config_yaml, manifest_extra)
        self.complete = True
        try:
            self.location.remove_tree(PARTS_DIR)
        except OSError:
            pass  # the run is complete; the next `create` on it removes them
        return json.loads(self.location.read_text(MANIFEST))

    def _write_all(self, raw: pa.Table, config_yaml: str, manifest_extra: dict | None) -> dict:
        manifest_extra = dict(manifest_extra or {})
        tables = {"raw": raw, **split_tables(raw)}
        fractions = fractions_of((yaml.safe_load(config_yaml) or {}).get("shards"))
        parts = {split: divide(table, fractions) if split in DIVIDED else {TRAIN: table}
                 for split, table in tables.items()}
        shards = {split: self._write_split(split, parts[split]) for split in tables}
        self.location.write_text(RUN_CONFIG, config_yaml)

        manifest = self._manifest(raw, {split: table.num_rows for split, table in tables.items()},
                                  config_yaml)
        manifest["shards"] = shards
        manifest["row_stats"] = _row_stats(raw, tables)
        manifest["holdout"] = {"fractions": fractions,
                               "rows": {split: {name: part.num_rows for name, part in parts[split].items()}
                                        for split in DIVIDED}}
        assert set(manifest) == set(MANIFEST_KEYS), sorted(manifest)
        clashes = sorted(key for key in manifest_extra if key in manifest and manifest_extra[key] != manifest[key])
        if clashes:
            raise ValueError(f"manifest_extra may not change the writer's manifest keys {clashes}")
        manifest.update(manifest_extra)
        self.location.write_text(CARD, render_card(manifest, config_yaml))
        self.location.write_text(MANIFEST, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        return manifest

    def _write_split(self, split: str, parts: dict[str, pa.Table]) -> list[str]:
        """Write one split's shards (any files of it there before are removed), each of its `parts`
        (`train`, and the held-out ones of shards.holdout) under its own name; return the files' names."""
        for stale in self.location.names(split):  # a resumed run writes every split again
            if stale.endswith(".parquet"):
                self.location.remove(f"{split}/{stale}")
        return [name for part, table in parts.items() for name in self._write_part(split, part, table)]

    def _write_part(self, split: str, part: str, table: pa.Table) -> list[str]:
        table = conform(table, SPLIT_SCHEMAS[split])
        # Files are cut by size as they are written, so their number is known only at the end: they are
        # written under temporary names (in the split's own directory on a local disk, else in a local
        # temporary one) and put in place as PART-XXXXX-of-NNNNN once all are complete.
        group_rows = min(ROW_GROUP_ROWS, self.rows_per_shard or ROW_GROUP_ROWS)
        with self.location.staging(split) as staging:
            done: list[Path] = []
            start = 0
            while start < table.num_rows or not done:
                tmp = staging / f".{part}-{len(done):05d}.parquet.tmp-{os.getpid()}"
                with open(tmp, "wb") as sink:
                    with pq.ParquetWriter(sink, table.schema, compression="zstd") as parquet:
                        rows_in_file = 0
                        while start < table.num_rows:
                            piece = table.slice(start, group_rows)
                            parquet.write_table(piece, row_group_size=group_rows)
                            start += piece.num_rows
                            rows_in_file += piece.num_rows
                            if sink.tell() >= self.target_shard_bytes or (
                                    self.rows_per_shard and rows_in_file + group_rows > self.rows_per_shard):
                                break
                    sink.flush()
                    os.fsync(sink.fileno())
                done.append(tmp)
            digest = _files_digest(done)
            names = [f"{part}-{index:05d}-of-{len(done):05d}-{digest}.parquet" for index in range(len(done))]
            for tmp, name in zip(done, names):
                self.location.commit(tmp, f"{split}/{name}")
        return names

    def _manifest(self, raw: pa.Table, split_rows: dict[str, int], config_yaml: str) -> dict:
        status = raw.column("status").to_pylist()
        config = yaml.safe_load(config_yaml) or {}
        run_name = (config.get("run") or {}).get("name") or self.location.name
        by_family: dict[str, dict[str, int]] = {}
        by_turn: dict[int, dict[str, int]] = {}
        for family, turn, row_status in zip(raw.column("family").to_pylist(), raw.column("turn").to_pylist(), status):
            for key, counts in ((family, by_family), (turn, by_turn)):
                entry = counts.setdefault(key, {"candidates": 0, "accepted": 0})
                entry["candidates"] += 1
                entry["accepted"] += row_status == Status.ACCEPTED.value
        return {
            "kerneldata_version": kerneldata.__version__,
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "run_name": run_name,
            "counts": {
                "candidates": raw.num_rows,
                "specs": len(set(raw.column("spec_id").to_pylist())),
                **{s.value: status.count(s.value) for s in Status},
                "duplicates": raw.num_rows - raw.column("dedup_reason").null_count,
                "contaminated": raw.num_rows - raw.column("contamination_reason").null_count,
                **split_rows,
            },
            "by_stage": _value_counts(raw.column("stage")),
            "by_reason": _value_counts(raw.column("reason_code")),
            "by_family": dict(sorted(by_family.items())),
            "by_turn": {str(turn): entry for turn, entry in sorted(by_turn.items())},
            "hardware": _unique(raw.column("hardware")),
            "devices": _unique(raw.column("device")),
            "versions": _versions(),
            "dedup": _dedup_counts(raw),
            "decontamination": _decontamination_counts(raw),
            "speedups": _speedups(raw),
        }

    def _committed_parts(self) -> list[str]:
        """The checkpoints whose commit marker exists, by name."""
        names = self.location.names(PARTS_DIR)
        present = set(names)
        return [f"{PARTS_DIR}/{name}" for name in names
                if name.startswith("part-") and name.endswith(PART_SUFFIX) and _marker_of(name) in present]

    def _read_part(self, part: str, columns: list[str] | None = None) -> pa.Table:
        where = self.location.uri(part)
        try:
            table = self.location.read_table(part, columns=columns)
            committed_rows = json.loads(self.location.read_text(_marker_of(part)))["rows"]
        except (OSError, pa.ArrowException, ValueError, KeyError, TypeError) as err:
            raise RunDirError(f"checkpoint {where} is unreadable ({error_line(err)}); delete it and its "
                              f"{MARKER_SUFFIX} marker to redo that batch") from None
        if table.num_rows != committed_rows:
            raise RunDirError(f"checkpoint {where} has {table.num_rows} rows but its commit marker says "
                              f"{committed_rows}; delete both to redo that batch")
        return table

    def _remove_uncommitted(self) -> None:
        """What a crashed run left that is never read: parts without a commit marker (perhaps cut short;
        the resumed run redoes their batches) and local temporary files (they never carry a final name)."""
        names = self.location.names(PARTS_DIR)
        present = set(names)
        for name in names:
            if _is_temporary(name) or (name.endswith(PART_SUFFIX) and _marker_of(name) not in present):
                self.location.remove(f"{PARTS_DIR}/{name}")
        for directory in ("", *SPLITS):
            for name in self.location.names(directory):
                if _is_temporary(name):
                    self.location.remove(f"{directory}/{name}" if directory else name)

    def _check_not_complete(self) -> None:
        if self.complete:
            raise RunDirError(f"run directory {self.location} is already complete ({MANIFEST} exists); "
                              f"nothing to write")


# -- reading a finished run -------------------------------------------------------------------------------

def open_run(run_dir: str | os.PathLike | RunLocation, *, writing: bool = False) -> RunLocation:
    """A complete run directory (a local path or URI), checked. `writing`: the caller is about to rewrite
    it, so it is the run's writer and first finishes or drops a rewrite a crash interrupted (`recover`).
    Raises RunDirError when `run_dir` cannot be opened or is not a complete run."""
    location = RunLocation.resolve(run_dir)
    try:
        if writing:
            recover(location)
        if location.is_file(MANIFEST):
            return location
        pending = location.is_file(f"{REWRITE_DIR}/{MANIFEST}")
    except (OSError, pa.ArrowException) as err:
        raise RunDirError(f"cannot read run directory {location}: {error_line(err)}") from None
    hint = ("; an interrupted `kerneldata dedup` or `decontaminate` left its rewrite half applied: run it "
            "again to complete it") if pending else ""
    raise RunDirError(f"{location} is not a complete kerneldata run directory (no {MANIFEST}{hint})")


def read_manifest(run_dir: str | os.PathLike | RunLocation) -> dict:
    """The manifest of a complete run directory."""
    return json.loads(open_run(run_dir).read_text(MANIFEST))


def read_split(run_dir: str | os.PathLike | RunLocation, split: str) -> pa.Table:
    """Every shard of one split of a complete run directory, as one table (schemas promoted, not conformed)."""
    location = open_run(run_dir)
    shards = [name for name in location.names(split) if name.endswith(".parquet")]
    if not shards:
        raise RunDirError(f"{location} has no {split}/*.parquet")
    try:
        return pa.concat_tables([location.read_table(f"{split}/{name}") for name in shards],
                                promote_options="default")
    except (OSError, pa.ArrowException) as err:
        raise RunDirError(f"{location.uri(split)} is unreadable: {error_line(err)}") from None


def read_raw(run_dir: str | os.PathLike | RunLocation) -> pa.Table:
    """The raw split of a complete run directory as a RAW_SCHEMA table (curation columns an older run
    lacks are added, null). Raises RunDirError when `run_dir` is not a complete run."""
    table = read_split(run_dir, "raw")
    for field in RAW_SCHEMA:
        if field.name not in table.column_names and field.nullable:
            table = table.append_column(field, pa.nulls(table.num_rows, field.type))
    return conform(table, RAW_SCHEMA)


# -- rewriting a finished run ------------------------------------------------------------------------------

def rewrite(run_dir: str | os.PathLike | RunLocation, raw: pa.Table, *, manifest_extra: dict | None = None,
            target_shard_bytes: int | None = None) -> dict:
    """Replace a complete run directory's splits, card and manifest with those derived from `raw` (its own
    raw, annotated again): atomically on a local disk, through a journal elsewhere (module docstring).
    Keeps run_config.yaml and the manifest's other keys (timings...); a report made before is removed (it
    describes the old data). Shards are cut as the run's config says (`shards.target_shard_bytes`, unless
    given, and `shards.rows_per_shard`). Returns the new manifest."""
    location = open_run(run_dir, writing=True)
    old_manifest = json.loads(location.read_text(MANIFEST))
    config_yaml = location.read_text(RUN_CONFIG)
    shards_config = (yaml.safe_load(config_yaml) or {}).get("shards") or {}
    if target_shard_bytes is None:
        target_shard_bytes = shards_config.get("target_shard_bytes") or DEFAULT_TARGET_SHARD_BYTES
    extra = {key: value for key, value in old_manifest.items() if key not in MANIFEST_KEYS}
    extra.update(manifest_extra or {})
    extra = {"run_name": old_manifest["run_name"], **extra}
    raw = conform(raw, RAW_SCHEMA)
    if location.is_local:
        return _rewrite_local(location.local_path().resolve(), raw, config_yaml, extra, target_shard_bytes,
                              shards_config.get("rows_per_shard"))
    with tempfile.TemporaryDirectory(prefix="kerneldata-rewrite-") as staging:
        manifest = RunWriter(staging, target_shard_bytes=target_shard_bytes,
                             rows_per_shard=shards_config.get("rows_per_shard"))._write_all(raw, config_yaml, extra)
        location.remove_tree(REWRITE_DIR)
        for split in SPLITS:
            for name in sorted(os.listdir(os.path.join(staging, split))):
                location.commit(Path(staging, split, name), f"{REWRITE_DIR}/{split}/{name}")
        location.commit(Path(staging, CARD), f"{REWRITE_DIR}/{CARD}")
        location.commit(Path(staging, MANIFEST), f"{REWRITE_DIR}/{MANIFEST}")  # the journal is committed
    _apply_rewrite(location)
    return manifest


def recover(run_dir: str | os.PathLike | RunLocation) -> None:
    """Finish a rewrite whose journal was committed, or drop one that was not (module docstring). Only the
    run's writer may call this: it changes the run directory."""
    location = RunLocation.resolve(run_dir)
    if location.is_file(f"{REWRITE_DIR}/{MANIFEST}"):
        _apply_rewrite(location)
    elif location.exists(REWRITE_DIR):
        location.remove_tree(REWRITE_DIR)


def _apply_rewrite(location: RunLocation) -> None:
    """Put the committed journal's splits, card and manifest in place of the run's, then drop the journal.
    Every step can be repeated, so a crash at any point is finished by running this again."""
    location.remove(MANIFEST)  # until the new one is in place, the run reads as incomplete, never as a mix
    for name in REPORT_FILES:  # it describes the old data
        if location.is_file(name):
            location.remove(name)
        else:
            location.remove_tree(name)
    for split in SPLITS:
        new = location.names(f"{REWRITE_DIR}/{split}")
        for name in location.names(split):
            if name not in new:
                location.remove(f"{split}/{name}")
        for name in new:
            location.copy(f"{REWRITE_DIR}/{split}/{name}", f"{split}/{name}")
    location.copy(f"{REWRITE_DIR}/{CARD}", CARD)
    location.copy(f"{REWRITE_DIR}/{MANIFEST}", MANIFEST)
    location.remove(f"{REWRITE_DIR}/{MANIFEST}")  # first: a journal without it is never applied again
    location.remove_tree(REWRITE_DIR)


def _rewrite_local(run_dir: Path, raw: pa.Table, config_yaml: str, extra: dict, target_shard_bytes: int,
                   rows_per_shard: int | None) -> dict:
    """Build the new run directory beside `run_dir`, then swap the two atomically."""
    staging = run_dir.with_name(f".{run_dir.name}.rewrite-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        for entry in run_dir.iterdir():  # what the rewrite does not make: kept as it is
            if entry.name in (*SPLITS, CARD, MANIFEST, PARTS_DIR, *REPORT_FILES) or entry.name.startswith("."):
                continue
            if entry.is_dir():
                shutil.copytree(entry, staging / entry.name, copy_function=_link_or_copy)
            else:
                _link_or_copy(entry, staging / entry.name)
        manifest = RunWriter(staging, target_shard_bytes=target_shard_bytes,
                             rows_per_shard=rows_per_shard)._write_all(raw, config_yaml, extra)
        _swap(staging, run_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # after the swap: the old run
    return manifest


def _link_or_copy(src, dst) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(new: Path, current: Path) -> None:
    """Put `new` where `current` is, and `current` where `new` was: one atomic renameat2 exchange on Linux,
    else two renames (a crash between them leaves the old run beside, under `new`'s name)."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(str(new)), _AT_FDCWD, os.fsencode(str(current)),
                           _RENAME_EXCHANGE)
        if result == 0:
            return
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(err, f"cannot swap {new} and {current}: {os.strerror(err)}")
    aside = current.with_name(current.name + f".old-{os.getpid()}")
    os.rename(current, aside)
    os.rename(new, current)
    os.rename(aside, new)


def _row_stats(raw: pa.Table, tables: dict[str, pa.Table]) -> dict:
    """What the card says of the rows themselves (shards.row_stats): teachers, diversity, how sft and
    preference rows were formed, and the cues a preference pair carries besides its verdict."""
    sft, preference = tables["sft"], tables["preference"]
    return {
        **row_stats.teachers(raw),
        "diversity": row_stats.diversity(raw),
        "sft_by_turn": {str(turn): count for turn, count in
                        sorted(Counter(sft.column("turn").to_pylist()).items())},
        "sft_feedback_references": row_stats.feedback_references(sft),
        "preference_by_kind": dict(sorted(Counter(preference.column("answer_kind").to_pylist()).items())),
        "preference": row_stats.preference_stats(preference),
    }


def _dedup_counts(raw: pa.Table) -> dict:
    reasons = raw.column("dedup_reason").to_pylist()
    return {
        "clusters": len({c for c in raw.column("dedup_cluster").to_pylist() if c is not None}),
        "duplicates": sum(r is not None for r in reasons),
        "exact_duplicate": reasons.count("exact_duplicate"),
        "near_duplicate": reasons.count("near_duplicate"),
    }


TASK_ITEMS_LISTED = 20  # the benchmark items with the most task-level twins, named in the manifest and card


def _decontamination_counts(raw: pa.Table) -> dict:
    reasons = [r for r in raw.column("contamination_reason").to_pylist() if r is not None]
    items: dict[str, set] = {}
    for benchmark, item in zip(raw.column("contamination_benchmark").to_pylist(),
                               raw.column("contamination_item").to_pylist()):
        if benchmark is not None:
            items.setdefault(benchmark, set()).add(item)
    by_benchmark = _value_counts(pc.drop_null(raw.column("contamination_benchmark")))
    # Issue 16: the task-level matches (marked, or also counted above when task_level is remove).
    tasks = raw.column("task_match").to_pylist() if "task_match" in raw.column_names else []
    task_rows = [(spec, task) for spec, task in zip(raw.column("spec_id").to_pylist(), tasks) if task is not None]
    return {
        "task_matches": len(task_rows),
        "task_specs": len({spec for spec, _ in task_rows}),
        "task_items_matched": len({task for _, task in task_rows}),
        "task_by_item": dict(sorted(Counter(task for _, task in task_rows).items(),
                                    key=lambda kv: (-kv[1], kv[0]))[:TASK_ITEMS_LISTED]),
        "checked": raw.num_rows,
        "contaminated": len(reasons),
        "by_benchmark": by_benchmark,
        "by_reason": {r: reasons.count(r) for r in sorted(set(reasons))},
        "items_matched": {name: len(found) for name, found in sorted(items.items())},
    }


def _speedups(raw: pa.Table) -> dict[str, dict]:
    """Per family (and `all`): n, median, p90, max of measured speedups over eager of accepted kernels."""
    by_family: dict[str, list[float]] = {}
    for family, status, speedup in zip(raw.column("family").to_pylist(), raw.column("status").to_pylist(),
                                       raw.column("speedup_vs_eager").to_pylist()):
        if status == Status.ACCEPTED.value and speedup is not None and math.isfinite(speedup) and speedup > 0:
            by_family.setdefault(family, []).append(speedup)
            by_family.setdefault("all", []).append(speedup)
    out = {}
    for family, values in sorted(by_family.items()):
        values.sort()
        out[family] = {"n": len(values), "median": round(_quantile(values, 0.5), 4),
                       "p90": round(_quantile(values, 0.9), 4), "max": round(values[-1], 4)}
    return out


def _quantile(sorted_values: list[float], q: float) -> float:
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def _marker_of(part: str) -> str:
    """The commit marker's name (or path) for a part's."""
    return part[: -len(PART_SUFFIX)] + MARKER_SUFFIX


def _is_temporary(name: str) -> bool:
    return name.startswith(".") and ".tmp-" in name


def parquet_bytes(table: pa.Table) -> bytes:
    """`table` as one zstd Parquet file with row groups of ROW_GROUP_ROWS rows."""
    sink = pa.BufferOutputStream()
    # Through ParquetWriter rather than pq.write_table: for an empty table write_table emits one row group
    # of zero rows, which `datasets` (5.2) cannot read ("BatchSize must be greater than 0"); no row group at
    # all reads as an empty split with the right features.
    with pq.ParquetWriter(sink, table.schema, compression="zstd") as parquet:
        if table.num_rows:
            parquet.write_table(table, row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue().to_pybytes()


def _files_digest(paths: list[Path]) -> str:
    """16 hex digits of SHA-256 over the files' bytes, in order: the content part of a split's shard names."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as file:
            digest.update(hashlib.file_digest(file, "sha256").digest())
    return digest.hexdigest()[:16]


def _add_counts(total: dict, counts: dict) -> None:
    """Add nested dicts of ints into `total`, key by key."""
    for key, value in counts.items():
        if isinstance(value, dict):
            _add_counts(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def _value_counts(column: pa.ChunkedArray) -> dict[str, int]:
    """{value: count}, most frequent first, ties by value."""
    counts = {str(item["values"]): item["counts"] for item in pc.value_counts(column).to_pylist()}
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _unique(column: pa.ChunkedArray) -> list[str]:
    return sorted(value for value in set(column.to_pylist()) if value)


def _versions() -> dict[str, str]:
    """Versions of what made and judged the data; packages that are not installed are left out."""
    versions = {"python": platform.python_version()}
    for name, distributions in (("torch", ("torch",)), ("triton", _TRITON_DISTRIBUTIONS),
                                ("pyarrow", ("pyarrow",)), ("datasets", ("datasets",)), ("ray", ("ray",))):
        for distribution in distributions:
            try:
                versions[name] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return versions
