"""Held-out splits by spec (issue 18, item 7): `sft`, `rl` and `preference` may hold a `test` and a
`validation` split beside `train`, in the sizes `shards.test_fraction` and `shards.validation_fraction`
ask for (shares of the specs). A spec's rows all go to one split, never two, so a model evaluated on
`test` has seen no row of its problems in `train`; `raw` is the whole record and is not divided.

Which split a spec goes to is decided by its id alone (a hash, as uniform as a draw): the same spec lands
in the same split in every run, whatever else the run holds, across a resume, a dedup or a
decontamination rewrite, and across runs of other seeds that draw it; so the shares are met on average,
not exactly (12 specs at 0.25 may hold 1 to 5 test specs)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

TRAIN = "train"
# Held-out split names in the order their shares are laid out on [0, 1): test first, then validation.
HELD_OUT = ("test", "validation")
DIVIDED = ("sft", "rl", "preference")
_SALT = b"kerneldata-holdout-v1:"


def fractions_of(shards_config: Mapping | None) -> dict[str, float]:
    """The held-out shares of a run's `shards` config section (a mapping, as run_config.yaml holds it)."""
    shards_config = shards_config or {}
    return {name: float(shards_config.get(f"{name}_fraction") or 0.0) for name in HELD_OUT}


def split_of(spec_id: str, fractions: Mapping[str, float]) -> str:
    """The split that `spec_id`'s rows go to."""
    point = int.from_bytes(hashlib.sha256(_SALT + spec_id.encode()).digest()[:8], "big") / 2 ** 64
    edge = 0.0
    for name in HELD_OUT:
        edge += fractions.get(name, 0.0)
        if point < edge:
            return name
    return TRAIN


def divide(table: pa.Table, fractions: Mapping[str, float]) -> dict[str, pa.Table]:
    """`table`'s rows by split (`train` first, then the held-out ones that have rows), in their order."""
    if not any(fractions.values()):
        return {TRAIN: table}
    ids = table.column("spec_id").to_pylist()
    names = pa.array([split_of(spec_id, fractions) for spec_id in ids], pa.string())
    parts = {TRAIN: table.filter(pc.equal(names, TRAIN))}
    for name in HELD_OUT:
        part = table.filter(pc.equal(names, name))
        if part.num_rows:
            parts[name] = part
    return parts


def split_name(file_name: str) -> str:
    """The split a shard file belongs to, from its name (`test-00000-of-00001-<digest>.parquet`)."""
    return file_name.split("-", 1)[0]
