"""`RunWriter`: the only code that writes a run directory (DESIGN section 3.3).

```
RUN_DIR/
  _parts/part-<16 hex>.parquet   checkpoints while the run is in progress (RAW_SCHEMA), removed at the end
  raw/ sft/ rl/ preference/      SPLIT/train-00000-of-0000N.parquet, zstd, at least one file per split
  run_config.yaml                the resolved config that made the run
  README.md                      the dataset card, whose `configs:` make `datasets.load_dataset` work
  manifest.json                  counts, versions, hardware, timings; written last
```

Guarantees:
- Every file is written to a temporary name in its own directory and moved into place with `os.replace`,
  so a crash leaves either the old file or the new one, never half of one.
- `manifest.json` is written last; its presence means the run is complete. A crash anywhere before it
  leaves `_parts/` in place, and a resumed run skips the candidates already there (`done_candidate_ids`)
  and writes the splits again. A crash loses at most the batch that was being checkpointed.
- The output does not depend on the order in which batches finished: parts are merged, a candidate id
  seen twice is kept once (the copy in the part whose name sorts first), and rows are sorted by
  (spec_id, candidate_id).

Limits: `finalize` holds all of raw in memory (fine for the hundreds of thousands of rows one run makes;
not meant for merging many runs). Nothing here checks that a resumed run uses the same config as the run
it continues; candidate ids derive from content, so a different config adds candidates rather than
replacing them.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
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
from shards.card import render_card
from shards.splits import preference_rows, rl_rows, sft_rows

PARTS_DIR = "_parts"
MANIFEST = "manifest.json"
RUN_CONFIG = "run_config.yaml"
CARD = "README.md"
SPLITS = tuple(SPLIT_SCHEMAS)  # raw, sft, rl, preference
# The keys the writer puts in manifest.json; `finalize(manifest_extra=...)` adds others beside them.
# counts: candidates, specs, accepted, rejected, unverified, and the rows of each split (raw, sft, rl,
# preference). by_stage / by_reason: candidates per deciding check / reason_code, over all of raw.
# by_family: {family: {candidates, accepted}}. hardware / devices: sorted distinct values in raw.
MANIFEST_KEYS = ("kerneldata_version", "created_at", "run_name", "counts", "by_stage", "by_reason",
                 "by_family", "hardware", "devices", "versions")
DEFAULT_ROWS_PER_SHARD = 50_000
# Rows per Parquet row group: small enough that a reader (the Hub's viewer included) can fetch a few rows of
# raw, whose rows carry whole sources and completions, without reading tens of megabytes.
ROW_GROUP_ROWS = 1_000
# Distributions that provide the `triton` module: upstream, and the builds PyTorch ships for ROCm and nightly.
_TRITON_DISTRIBUTIONS = ("triton", "pytorch-triton-rocm", "pytorch-triton")


class RunDirError(ValueError):
    """A run directory that cannot be used; the message is one line meant for the user."""


class RunWriter:
    """Writes one run directory. Make one with `RunWriter.create`, checkpoint batches of judged candidates
    with `write_part`, and end with `finalize`."""

    def __init__(self, out_dir: Path, *, rows_per_shard: int = DEFAULT_ROWS_PER_SHARD,
                 complete: bool = False) -> None:
        if rows_per_shard < 1:
            raise ValueError(f"rows_per_shard must be at least 1, got {rows_per_shard}")
        self.out_dir = Path(out_dir)
        self.rows_per_shard = rows_per_shard
        # True when the directory holds a finished run (its manifest exists): nothing is left to do.
        self.complete = complete

    @classmethod
    def create(cls, out_dir: Path, resume: bool, *,
               rows_per_shard: int = DEFAULT_ROWS_PER_SHARD) -> RunWriter:
        """Check that `out_dir` can hold this run, creating it if needed.

        A fresh run needs a missing or empty directory; `resume` continues a run directory kerneldata
        wrote (one with `_parts/`, a manifest or a run config). Raises `RunDirError` otherwise, or when the
        directory cannot be created or written.
        """
        out_dir = Path(out_dir)
        if out_dir.exists() and not out_dir.is_dir():
            raise RunDirError(f"output path {out_dir} is a file, not a directory; choose another --out")
        try:
            non_empty = out_dir.is_dir() and any(out_dir.iterdir())
        except OSError as err:
            raise RunDirError(f"cannot read output directory {out_dir}: {err.strerror or err}") from None
        if non_empty:
            if not resume:
                raise RunDirError(f"output directory {out_dir} is not empty; pass --resume to continue it "
                                  f"or choose another --out")
            if not any((out_dir / name).exists() for name in (PARTS_DIR, MANIFEST, RUN_CONFIG)):
                raise RunDirError(f"output directory {out_dir} is not empty and is not a kerneldata run "
                                  f"directory (no {PARTS_DIR}/ or {MANIFEST}); choose another --out")
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            probe = out_dir / f".kerneldata-write-probe-{os.getpid()}"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as err:
            raise RunDirError(f"cannot write to output directory {out_dir}: {err.strerror or err}") from None
        complete = (out_dir / MANIFEST).is_file()
        writer = cls(out_dir, rows_per_shard=rows_per_shard, complete=complete)
        if complete:
            # A crash between writing the manifest and removing the checkpoints leaves them behind.
            shutil.rmtree(writer.parts_dir, ignore_errors=True)
        else:
            writer._remove_temporaries()
        return writer

    @property
    def parts_dir(self) -> Path:
        return self.out_dir / PARTS_DIR

    # -- checkpoints -------------------------------------------------------------------------------------

    def write_part(self, table: pa.Table) -> Path | None:
        """Checkpoint a batch of judged candidates (RAW_SCHEMA columns, extra columns dropped). Returns the
        part's path, or None for an empty batch. The same batch always gets the same name, so writing it
        twice is harmless."""
        self._check_not_complete()
        table = conform(table, RAW_SCHEMA)
        if table.num_rows == 0:
            return None
        ids = sorted(table.column("candidate_id").to_pylist())
        path = self.parts_dir / f"part-{stable_id(ids)}.parquet"
        self.parts_dir.mkdir(parents=True, exist_ok=True)
        _write_parquet_atomic(table, path)
        return path

    def done_candidate_ids(self) -> set[str]:
        """Candidate ids already checkpointed: a resumed run skips them."""
        done: set[str] = set()
        for path in self._part_paths():
            done.update(_read_part(path, columns=["candidate_id"]).column("candidate_id").to_pylist())
        return done

    def read_parts(self) -> pa.Table:
        """Every checkpointed candidate once, sorted by (spec_id, candidate_id), as a RAW_SCHEMA table."""
        tables = [conform(_read_part(path), RAW_SCHEMA) for path in self._part_paths()]
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

    def finalize(self, config_yaml: str, manifest_extra: dict | None = None) -> dict:
        """Write the splits, run_config.yaml, README.md and, last, manifest.json; then remove the
        checkpoints. Returns the manifest. `manifest_extra` (timings, say) is added to the manifest; a key
        the writer computes may be repeated with the same value, never changed (ValueError)."""
        self._check_not_complete()
        manifest_extra = dict(manifest_extra or {})
        raw = self.read_parts()
        tables = {"raw": raw, "sft": sft_rows(raw), "rl": rl_rows(raw), "preference": preference_rows(raw)}
        for split, table in tables.items():
            self._write_split(split, table)
        _write_text_atomic(self.out_dir / RUN_CONFIG, config_yaml)

        manifest = self._manifest(raw, {split: table.num_rows for split, table in tables.items()},
                                  config_yaml)
        assert set(manifest) == set(MANIFEST_KEYS), sorted(manifest)
        clashes = sorted(key for key in manifest_extra if key in manifest and manifest_extra[key] != manifest[key])
        if clashes:
            raise ValueError(f"manifest_extra may not change the writer's manifest keys {clashes}")
        manifest.update(manifest_extra)
        _write_text_atomic(self.out_dir / CARD, render_card(manifest, config_yaml))
        _write_text_atomic(self.out_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        self.complete = True
        shutil.rmtree(self.parts_dir, ignore_errors=True)
        return manifest

    def _write_split(self, split: str, table: pa.Table) -> None:
        split_dir = self.out_dir / split
        split_dir.mkdir(parents=True, exist_ok=True)
        for stale in split_dir.glob("*.parquet"):  # a resumed run writes every split again
            stale.unlink()
        table = conform(table, SPLIT_SCHEMAS[split])
        num_shards = max(1, math.ceil(table.num_rows / self.rows_per_shard))
        for index in range(num_shards):
            shard = table.slice(index * self.rows_per_shard, self.rows_per_shard)
            _write_parquet_atomic(shard, split_dir / f"train-{index:05d}-of-{num_shards:05d}.parquet")

    def _manifest(self, raw: pa.Table, split_rows: dict[str, int], config_yaml: str) -> dict:
        status = raw.column("status").to_pylist()
        config = yaml.safe_load(config_yaml) or {}
        run_name = (config.get("run") or {}).get("name") or self.out_dir.name
        by_family: dict[str, dict[str, int]] = {}
        for family, row_status in zip(raw.column("family").to_pylist(), status):
            entry = by_family.setdefault(family, {"candidates": 0, "accepted": 0})
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
                **split_rows,
            },
            "by_stage": _value_counts(raw.column("stage")),
            "by_reason": _value_counts(raw.column("reason_code")),
            "by_family": dict(sorted(by_family.items())),
            "hardware": _unique(raw.column("hardware")),
            "devices": _unique(raw.column("device")),
            "versions": _versions(),
        }

    def _part_paths(self) -> list[Path]:
        return sorted(self.parts_dir.glob("part-*.parquet")) if self.parts_dir.is_dir() else []

    def _remove_temporaries(self) -> None:
        """Temporary files a crashed run left behind (they never carry a final name, so none is read)."""
        for directory in (self.out_dir, self.parts_dir, *(self.out_dir / split for split in SPLITS)):
            if directory.is_dir():
                for tmp in directory.glob(".*.tmp-*"):
                    tmp.unlink(missing_ok=True)

    def _check_not_complete(self) -> None:
        if self.complete:
            raise RunDirError(f"run directory {self.out_dir} is already complete ({MANIFEST} exists); "
                              f"nothing to write")


def _read_part(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as err:
        raise RunDirError(f"checkpoint {path} is unreadable ({err}); delete it to redo that batch") from None


def _tmp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _write_parquet_atomic(table: pa.Table, path: Path) -> None:
    tmp = _tmp_path(path)
    try:
        with open(tmp, "wb") as sink:
            # Through ParquetWriter rather than pq.write_table: for an empty table write_table emits one
            # row group of zero rows, which `datasets` (5.2) cannot read ("BatchSize must be greater than
            # 0"); no row group at all reads as an empty split with the right features.
            with pq.ParquetWriter(sink, table.schema, compression="zstd") as parquet:
                if table.num_rows:
                    parquet.write_table(table, row_group_size=ROW_GROUP_ROWS)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = _tmp_path(path)
    try:
        with open(tmp, "w", encoding="utf-8") as sink:
            sink.write(text)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


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
