"""Every split schema survives a Parquet round trip through the writer unchanged: types, nesting and
nullability, for empty tables as well as full ones."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from kerneldata.core.schema import SPLIT_SCHEMAS
from shards.splits import preference_rows, rl_rows, sft_rows
from shards.location import RunLocation
from shards.writer import parquet_bytes

BUILD = {"raw": lambda raw: raw, "sft": sft_rows, "rl": rl_rows, "preference": preference_rows}


@pytest.mark.parametrize("split", sorted(SPLIT_SCHEMAS))
@pytest.mark.parametrize("empty", [False, True], ids=["rows", "empty"])
def test_schema_round_trip(tmp_path, mixed_raw, split, empty):
    schema = SPLIT_SCHEMAS[split]
    table = schema.empty_table() if empty else BUILD[split](mixed_raw)
    assert empty or table.num_rows > 0
    path = tmp_path / f"{split}.parquet"
    RunLocation.resolve(tmp_path).write_bytes(path.name, parquet_bytes(table))
    assert pq.read_schema(path).equals(schema)
    back = pq.read_table(path)
    assert back.schema.equals(schema)
    assert back.equals(table)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left beside it
