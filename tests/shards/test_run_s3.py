"""A run directory on S3, for real: moto's S3 server in a thread of this process, reached over HTTP through
pyarrow's S3 filesystem (the fallback `shards.location` uses when s3fs is not installed)."""

from __future__ import annotations

import json
import shutil

import pyarrow as pa
import pytest

from kerneldata.core.config import Config
from kerneldata.core.schema import RAW_SCHEMA, table_from_rows
from shards.location import RunLocation
from shards.publish import assemble
from shards.report import write_report
from shards.writer import MANIFEST, PARTS_DIR, RunWriter, parquet_bytes, read_raw, rewrite
from tests.s3_server import PYARROW_QUERY, s3_endpoint, s3_keys
from tests.shards.conftest import unhashed

boto3 = pytest.importorskip("boto3")
CONFIG_YAML = Config().to_yaml()
BUCKET = "kerneldata-runs"


@pytest.fixture(scope="module")
def s3_env():
    with s3_endpoint(BUCKET) as env:
        yield env


def _keys(prefix: str) -> list[str]:
    return s3_keys(BUCKET, prefix)


def test_a_run_on_s3_is_written_resumed_rewritten_reported_and_published(s3_env, make_row):
    uri = f"s3://{BUCKET}/runs/one{PYARROW_QUERY}"
    first = table_from_rows([make_row("s-a", "c1", "accepted"), make_row("s-a", "c2", "rejected")], RAW_SCHEMA)
    second = table_from_rows([make_row("s-b", "c3", "accepted", speedup=2.0)], RAW_SCHEMA)
    writer = RunWriter.create(uri, resume=False)
    location = writer.location
    assert not location.is_local and location.uri() == f"s3://{BUCKET}/runs/one"
    writer.write_part(first)
    # a crash mid-upload of the second batch, on a store that showed the torn object: no commit marker
    data = parquet_bytes(second)
    boto3.client("s3").put_object(Bucket=BUCKET, Key=f"runs/one/{PARTS_DIR}/part-{'f' * 16}.parquet",
                                  Body=data[: len(data) // 2])

    resumed = RunWriter.create(uri, resume=True)
    assert resumed.done_candidate_ids() == {"c1", "c2"}
    assert f"{PARTS_DIR}/part-{'f' * 16}.parquet" not in _keys("runs/one/")
    resumed.write_part(second)
    manifest = resumed.finalize(CONFIG_YAML)
    assert manifest["counts"]["candidates"] == 3 and manifest["counts"]["accepted"] == 2
    assert unhashed(_keys("runs/one/")) == ["README.md", MANIFEST, "preference/train-00000-of-00001.parquet",
                    "raw/train-00000-of-00001.parquet", "rl/train-00000-of-00001.parquet", "run_config.yaml",
                    "sft/train-00000-of-00001.parquet"]
    assert sorted(read_raw(uri).column("candidate_id").to_pylist()) == ["c1", "c2", "c3"]

    raw = read_raw(uri)
    marked = raw.set_column(raw.column_names.index("dedup_reason"), "dedup_reason",
                            pa.array([None, None, "exact_duplicate"]))
    assert rewrite(uri, marked)["counts"]["duplicates"] == 1
    assert json.loads(location.read_text(MANIFEST))["counts"]["sft"] == 1
    assert not [key for key in _keys("runs/one/") if key.startswith(("_rewrite", PARTS_DIR))]

    written = write_report(uri)
    assert written["html"] == f"s3://{BUCKET}/runs/one/report.html"
    assert "report/curation.png" in _keys("runs/one/")
    folder = assemble(RunLocation.resolve(uri), secrets=[])
    try:
        assert (folder / "report" / "curation.png").stat().st_size > 1000
        assert json.loads((folder / MANIFEST).read_text())["counts"]["duplicates"] == 1
    finally:
        shutil.rmtree(folder)
