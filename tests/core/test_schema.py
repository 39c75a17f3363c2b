"""kerneldata.core.schema, and DATASET_CARD.md's column reference agreeing with it: every column of every
split is documented under "## Columns", in schema order, with its Arrow type and nullability."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest

from kerneldata.core.outcomes import Reason
from kerneldata.core.schema import (
    CANDIDATE_SCHEMA, RAW_SCHEMA, SPEC_SCHEMA, SPLIT_SCHEMAS, conform, table_from_rows,
)

CARD = Path(__file__).resolve().parents[2] / "DATASET_CARD.md"
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| (?P<type>[^|]+?) \| (?P<meaning>.+) \|$")


def _section(text: str, heading: str) -> str:
    """The body under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    ends = [m.start() for m in re.finditer(rf"\n#{{1,{len(level)}}} ", text[start:])]
    return text[start:start + ends[0]] if ends else text[start:]


def _table(section: str) -> list[re.Match]:
    return [m for m in map(ROW.match, section.splitlines()) if m]


def _type_name(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type):
        return f"list<{_type_name(arrow_type.value_type)}>"
    if pa.types.is_struct(arrow_type):
        return "struct<" + ", ".join(f"{f.name}: {_type_name(f.type)}" for f in arrow_type) + ">"
    # Arrow prints float64 as "double"; the card uses the names pyarrow constructors and `datasets` use.
    return {"double": "float64", "float": "float32", "halffloat": "float16"}.get(str(arrow_type), str(arrow_type))


def _documented_type(field: pa.Field) -> str:
    return f"`{_type_name(field.type)}`" + (" (nullable)" if field.nullable else "")


@pytest.mark.parametrize("split", list(SPLIT_SCHEMAS))
def test_every_column_is_documented_in_the_card(split):
    columns = _section(CARD.read_text(), "## Columns")
    rows = _table(_section(columns, f"### {split}"))
    schema = SPLIT_SCHEMAS[split]
    assert [m["name"] for m in rows] == schema.names, f"DATASET_CARD.md Columns / {split} vs. schema.py"
    for match, field in zip(rows, schema):
        assert match["type"] == _documented_type(field), field.name
        assert len(match["meaning"].strip()) > 10, f"{split}.{field.name} needs a meaning"


def test_spec_and_candidate_columns_are_all_in_raw():
    # They are documented through raw, which holds them.
    assert set(SPEC_SCHEMA.names) <= set(CANDIDATE_SCHEMA.names) <= set(RAW_SCHEMA.names)


def test_every_reason_code_is_documented_with_its_stage():
    rows = _table(_section(CARD.read_text(), "## Reason codes"))
    documented = {m["name"]: m["type"] for m in rows}  # the second cell of this table is the stage
    assert documented == {reason.value: reason.check.value for reason in Reason}


def test_table_from_rows_refuses_a_missing_required_column():
    with pytest.raises(ValueError, match="'family' is required"):
        table_from_rows([{"spec_id": "x"}], SPEC_SCHEMA)


def test_table_from_rows_keeps_the_schema_for_no_rows():
    assert table_from_rows([], RAW_SCHEMA).schema.equals(RAW_SCHEMA)


def test_conform_selects_orders_and_refuses_missing_columns():
    table = table_from_rows([], SPEC_SCHEMA)
    shuffled = table.select(list(reversed(SPEC_SCHEMA.names))).append_column("extra", pa.array([], pa.int8()))
    assert conform(shuffled, SPEC_SCHEMA).schema.equals(SPEC_SCHEMA)
    with pytest.raises(ValueError, match="lacks columns"):
        conform(table.drop_columns(["dtype"]), SPEC_SCHEMA)
