"""The pipeline and the run-directory commands with the run directory given as a URI: `file://` (the local
code path, reached through a URI), and `s3://` on moto's S3 server (the object-store code path: nothing
renamed, parts committed by marker, the manifest last). The driver writes the run directory; Ray workers
never touch it, so a store only the driver can reach is enough."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shards.writer import read_manifest, read_raw
from tests.filters.test_decontaminate import KERNELBENCH
from tests.s3_server import PYARROW_QUERY, s3_endpoint, s3_keys
from tests.shards.conftest import unhashed

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
# A small run: 3 specs x 4 first answers, no refinement.
SMALL = ("specs.num_specs=3", "verify.num_seeds=1", "refine.max_turns=0")


def _kd(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kerneldata", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1500)


def _generate(out: str, *extra: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return _kd("generate", "--config", "configs/quickstart.yaml", "--out", out, "--quiet", *SMALL, *extra, env=env)


def test_a_file_uri_run_directory_end_to_end(tmp_path):
    local = tmp_path / "run"
    uri = f"file://{local}"
    made = _generate(uri)
    assert made.returncode == 0, made.stderr[-3000:]
    assert made.stdout.startswith(f"{uri}: ") and "of 12 candidates from 3 specs" in made.stdout
    manifest = json.loads((local / "manifest.json").read_text())
    assert manifest["counts"]["candidates"] == 12 and not (local / "_parts").exists()
    assert read_manifest(uri) == manifest

    again = _generate(uri, "--resume")  # complete: nothing to do
    assert again.returncode == 0 and json.loads((local / "manifest.json").read_text()) == manifest

    deduped = _kd("dedup", uri, "--json")
    assert deduped.returncode == 0, deduped.stderr
    raw = read_raw(uri)
    assert json.loads(deduped.stdout)["checked"] == raw.num_rows - raw.column("code").null_count  # the kernels
    cleaned = _kd("decontaminate", uri, "--benchmark", KERNELBENCH, "--json")
    assert cleaned.returncode == 0, cleaned.stderr
    assert read_manifest(uri)["decontamination_config"]["benchmarks"] == [KERNELBENCH]

    report = _kd("report", uri, "--json")
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["html"] == str(local / "report.html") and (local / "report.html").is_file()
    published = _kd("publish", uri, "--repo-id", "org/name", "--dry-run", "--folder", str(tmp_path / "upload"))
    assert published.returncode == 0, published.stderr
    folder = Path(json.loads(published.stdout)["folder"])
    assert len(list((folder / "raw").glob("train-00000-of-00001-*.parquet"))) == 1 and (folder / "report.html").is_file()

    import datasets

    raw = datasets.load_dataset(str(local), "raw", split="train", cache_dir=str(tmp_path / "hf"))
    assert raw.num_rows == 12


def test_an_s3_run_directory_end_to_end():
    with s3_endpoint("runs") as s3:
        env = {**os.environ, **s3}
        uri = f"s3://runs/small{PYARROW_QUERY}"
        made = _generate(uri, env=env)
        assert made.returncode == 0, made.stderr[-3000:]
        assert unhashed(s3_keys("runs", "small/")) == [
            "README.md", "manifest.json", "preference/train-00000-of-00001.parquet",
            "raw/train-00000-of-00001.parquet", "rl/train-00000-of-00001.parquet", "run_config.yaml",
            "sft/train-00000-of-00001.parquet"]
        manifest = read_manifest(uri)
        assert manifest["counts"]["candidates"] == 12 and manifest["run_name"] == "quickstart"
        assert read_raw(uri).num_rows == 12

        refused = _generate(uri, env=env)  # a complete run there: nothing to resume, start anew elsewhere
        assert refused.returncode == 2 and "already a complete run" in refused.stderr

        deduped = _kd("dedup", uri, "--json", env=env)
        assert deduped.returncode == 0, deduped.stderr
        assert read_manifest(uri)["dedup_config"]["enabled"] is True
        assert not [key for key in s3_keys("runs", "small/") if key.startswith("_")]
